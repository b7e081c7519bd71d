"""The demo engineer's year of plan: goals per quarter with their milestones, and the notes
of their check-ins."""

from __future__ import annotations

# Per quarter, counted back from the current one (0), then one ahead (+1). Each milestone is
# (title, due day within the quarter, status, evidence URL).
PLAN: dict[int, list[dict]] = {
    -3: [
        {
            "title": "Get fluent with PyTorch training loops",
            "why": "Keras hid too much; I want to debug training myself.",
            "success": "Rewrite the churn model in plain PyTorch with the same AUC",
            "visibility": "public",
            "milestones": [
                ("Finish the PyTorch 60-minute blitz and write notes", 14, "done", ""),
                (
                    "Port churn model to PyTorch, match Keras AUC ±0.005",
                    45,
                    "done",
                    "https://github.com/demo/churn-pytorch/pull/3",
                ),
                ("Add mixed precision and measure speed-up", 70, "done", ""),
                ("Write a blog post on what changed", 85, "dropped", ""),
            ],
        },
        {
            "title": "Learn experiment tracking properly",
            "why": "I lose track of which run produced which number.",
            "success": "Every experiment of the quarter logged in MLflow",
            "visibility": "mentors",
            "milestones": [
                ("Self-host MLflow with a Postgres backend", 20, "done", ""),
                ("Log params, metrics and artifacts from the training script", 40, "done", ""),
                ("Compare 10 runs and pick a model from the UI", 80, "done", ""),
            ],
        },
    ],
    -2: [
        {
            "title": "Reproduce a paper end to end",
            "why": "Reading papers is not the same as making them work.",
            "success": "Within 1 point of the reported top-1 accuracy on CIFAR-10",
            "visibility": "public",
            "milestones": [
                ("Pick the paper and list every training detail", 10, "done", ""),
                ("Baseline ResNet-18 at 93% on CIFAR-10", 35, "done", ""),
                (
                    "Implement the augmentation policy from the paper",
                    60,
                    "done",
                    "https://github.com/demo/autoaug-repro",
                ),
                ("Run 3 seeds each and report mean ± sd", 85, "done", ""),
            ],
        },
        {
            "title": "Statistics for ML evaluation",
            "why": "I want to know when a difference between runs is real.",
            "success": "Explain a bootstrap interval to the team with our own data",
            "visibility": "private",
            "milestones": [
                ("Work through chapters 1-5 of 'Statistical Rethinking'", 30, "done", ""),
                ("Bootstrap confidence intervals for our A/B test", 60, "done", ""),
                ("Lunch-and-learn talk on significance testing", 88, "dropped", ""),
            ],
        },
    ],
    -1: [
        {
            "title": "Ship the fraud model to production",
            "why": "A model that never serves traffic teaches half of the job.",
            "success": "Live behind the API with p95 latency under 80 ms",
            "visibility": "public",
            "milestones": [
                ("Containerise the model server (FastAPI + ONNX)", 15, "done", ""),
                ("Load test: p95 under 80 ms at 200 rps", 35, "done", ""),
                ("Shadow deployment for two weeks", 60, "done", ""),
                ("Drift and latency dashboards with alerts", 75, "done", ""),
                (
                    "Write the rollback runbook",
                    88,
                    "done",
                    "https://wiki.example.com/fraud-rollback",
                ),
            ],
        },
        {
            "title": "Feature store basics",
            "why": "Training/serving skew bit us twice.",
            "success": "One feature served from the same code online and offline",
            "visibility": "mentors",
            "milestones": [
                ("Evaluate Feast against a home-grown table", 25, "done", ""),
                ("Move the 'days since last purchase' feature", 60, "in_progress", ""),
            ],
        },
    ],
    0: [
        {
            "title": "Fine-tune a small language model for support tickets",
            "why": "Routing tickets by hand costs the team hours every day.",
            "success": "Macro-F1 ≥ 0.85 on the held-out month, beating the TF-IDF baseline",
            "visibility": "public",
            "milestones": [
                ("Label 2,000 tickets with the support team", 12, "done", ""),
                ("TF-IDF + logistic regression baseline", 20, "done", ""),
                ("LoRA fine-tune of a 1B model, 3 seeds", 45, "in_progress", ""),
                ("Error analysis on the worst two classes", 60, "planned", ""),
                ("Latency budget check on CPU inference", 80, "planned", ""),
            ],
        },
        {
            "title": "Get better at ML system design",
            "why": "Senior interviews and real work both need it.",
            "success": "Mock design interview passed with my mentor",
            "visibility": "mentors",
            "milestones": [
                ("Read 'Designing Machine Learning Systems' ch. 1-6", 25, "in_progress", ""),
                ("Write up a design for a recommendation system", 50, "planned", ""),
                ("Mock interview with a mentor", 80, "planned", ""),
            ],
        },
        {
            "title": "Keep a public record of my work",
            "why": "Employers should be able to check what I claim.",
            "success": "Portfolio with three projects traced to their results",
            "visibility": "private",
            "milestones": [
                ("Write up the fraud model project", 20, "done", ""),
                ("Import the CIFAR reproduction runs", 40, "planned", ""),
                ("Publish the profile", 70, "planned", ""),
            ],
        },
    ],
    1: [
        {
            "title": "Distributed training",
            "why": "The next models will not fit one GPU.",
            "success": "Train on 4 GPUs with near-linear speed-up",
            "visibility": "private",
            "milestones": [
                ("DDP tutorial and a toy run", 20, "planned", ""),
                ("FSDP on the ticket model", 60, "planned", ""),
            ],
        },
    ],
}

CHECKIN_NOTES = [
    "Set up the environment and read the docs.",
    "First version works on a small sample.",
    "Blocked for a day on a data bug; fixed the join.",
    "Results look reasonable; cleaning up the code.",
    "Nearly there; writing it up.",
]
