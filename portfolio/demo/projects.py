"""Demo project records: three ML projects, each grown over several revisions."""

from __future__ import annotations

# Each project: visibility, how many days ago each revision was saved (around its imports in
# portfolio/demo/results.py: the write-up before the first results, the results after them),
# then a list of revisions; each revision is a change note and the fields that changed (the
# first revision holds the starting content).
PROJECTS: list[dict] = [
    {
        "visibility": "public",
        "revision_days_ago": (80, 48, 14),
        "revisions": [
            (
                "First write-up",
                {
                    "title": "Real-time card fraud detection",
                    "summary": "Gradient-boosted model scoring card payments in under 50 ms.",
                    "status": "active",
                    "tags": ["xgboost", "feature engineering", "imbalanced data"],
                    "problem": (
                        "Chargebacks cost the payments team about **€1.2M a year**. Analysts "
                        "review flagged payments by hand, and the rule engine flags 4% of "
                        "traffic with a precision below 10%.\n\n"
                        "Goal: flag fewer payments while catching more fraud."
                    ),
                    "data_sources": (
                        "- `payments` table (18 months, 41M rows), snapshot 2025-06-30\n"
                        "- Chargeback labels from the disputes system (arrive up to 90 days "
                        "late)\n- Device fingerprints from the risk vendor API"
                    ),
                    "data_splits": (
                        "Time-based: train on months 1-14, validate on 15-16, test on 17-18. "
                        "Random splits leaked future chargebacks into training."
                    ),
                    "model": "Baseline: logistic regression on the 12 rule-engine features.",
                    "evaluation": (
                        "Primary metric: **recall at 1% review rate** (what analysts can "
                        "handle). Guardrail: PR-AUC."
                    ),
                },
            ),
            (
                "Model choice and features",
                {
                    "preprocessing": (
                        "- Velocity features: payments per card in the last 1 h, 24 h, 7 d\n"
                        "- Merchant risk as a smoothed target encoding (fit on train only)\n"
                        "- Amount as log, and as a ratio to the card's median amount"
                    ),
                    "model": (
                        "Baseline: logistic regression on the 12 rule-engine features "
                        "(recall@1% = 0.42).\n\n"
                        "Chosen: XGBoost, 400 trees, depth 6, learning rate 0.05, "
                        "`scale_pos_weight` 30. Tuned with Optuna, 60 trials on the "
                        "validation months."
                    ),
                    "hypothesis": (
                        "Velocity features let a tree model beat the rules by at least 15 "
                        "points of recall at a 1% review rate."
                    ),
                    "stopping_rule": "60 Optuna trials, then 5 seeds of the best configuration.",
                    "success_metric": "recall_at_1pct",
                    "success_target": 0.6,
                    "success_direction": "higher",
                },
            ),
            (
                "Results and deployment plan",
                {
                    "status": "deployed",
                    "results": (
                        "Recall at 1% review rate: **0.63 ± 0.01** over 5 seeds (rules "
                        "0.33, logistic baseline 0.42). PR-AUC 0.58. Review load dropped by "
                        "60% at equal recall."
                    ),
                    "deployment": (
                        "- REST endpoint (FastAPI + ONNX Runtime), p95 38 ms at 200 rps\n"
                        "- Health check: `/healthz` loads the model and scores a fixed "
                        "payment\n"
                        "- Monitoring: PSI on the top 20 features daily; weekly recall on "
                        "matured labels; latency alerts at p95 > 60 ms\n"
                        "- Rollback: the previous model stays loaded; one flag switches back"
                    ),
                    "compute": (
                        "Training: 1 × c6i.8xlarge, 25 min per run. Serving: 3 × c6i.large."
                    ),
                    "repo_url": "https://github.com/demo/fraud-scoring",
                },
            ),
        ],
    },
    {
        "visibility": "mentors",
        "revision_days_ago": (67, 45, 25),
        "revisions": [
            (
                "Plan the reproduction",
                {
                    "title": "Reproducing AutoAugment on CIFAR-10",
                    "summary": "Does the learned augmentation policy really add 1.5 points?",
                    "status": "active",
                    "tags": ["pytorch", "computer vision", "reproducibility"],
                    "problem": (
                        "Papers report gains that are hard to get back. I want to learn "
                        "what it takes to reproduce one result exactly."
                    ),
                    "data_sources": "CIFAR-10 from torchvision (50k train, 10k test).",
                    "data_splits": "45k/5k train/validation split with a fixed seed; test "
                    "set used once at the end.",
                    "hypothesis": (
                        "The AutoAugment policy improves ResNet-18 top-1 accuracy by at "
                        "least 1 point over standard crop-and-flip."
                    ),
                    "stopping_rule": "3 seeds per arm, 200 epochs each.",
                    "success_metric": "val_acc",
                    "success_target": 0.95,
                    "success_direction": "higher",
                },
            ),
            (
                "Baseline trained",
                {
                    "model": "ResNet-18, SGD momentum 0.9, lr 0.1 cosine, wd 5e-4, 200 "
                    "epochs, batch 128.",
                    "results": "Baseline: 94.8% ± 0.1 over 3 seeds.",
                },
            ),
            (
                "Augmentation results",
                {
                    "results": (
                        "Baseline: 94.8% ± 0.1 over 3 seeds. AutoAugment: **95.9% ± 0.2**. "
                        "The gain (+1.1) is smaller than the paper's +1.5 but outside the "
                        "seed noise."
                    ),
                    "compute": "1 × A10G, 3.1 h per run, 18 GPU-hours in total.",
                },
            ),
        ],
    },
    {
        "visibility": "private",
        "revision_days_ago": (50, 11),
        "revisions": [
            (
                "Idea",
                {
                    "title": "Support ticket router",
                    "summary": "Route incoming tickets to the right team automatically.",
                    "status": "idea",
                    "tags": ["nlp", "llm", "fine-tuning"],
                    "problem": (
                        "Support spends ~3 hours a day routing tickets by hand; misrouted "
                        "tickets wait 9 hours longer."
                    ),
                },
            ),
            (
                "Data and baseline",
                {
                    "status": "active",
                    "data_sources": "2,000 tickets labelled with the support team (12 classes).",
                    "model": "Baseline: TF-IDF + logistic regression, macro-F1 0.74.",
                    "success_metric": "macro_f1",
                    "success_target": 0.85,
                    "success_direction": "higher",
                },
            ),
        ],
    },
]
