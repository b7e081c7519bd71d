"""Import experiment result files into a project from the command line, through the same job."""

from __future__ import annotations

import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from projects import import_choices, imports
from projects.importers import FORMATS, group_uploads, kind_of, names
from projects.models import ExperimentImport, ImportStatus, Project
from projects.selectors import project_by_path

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import result files into a project (owner/slug) and wait for the result. "
        "Exit status: 0 every file imported; 1 an import failed (or the command was used "
        "wrongly); 2 an import is held for review: Cairn is unsure how to read the file, open "
        "the import's page to check and continue. The same file again re-runs an import that "
        "failed or is held, with the names given now."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="owner/slug, e.g. demo/fraud-model")
        parser.add_argument(
            "files",
            nargs="+",
            help="result files; files of one format make one import, a hparams.yaml or "
            "meta_tags.csv joins the metrics file of its folder",
        )
        parser.add_argument("--format", choices=sorted(FORMATS), help="skip detection")
        parser.add_argument("--run-name", default="", help="run name for TensorBoard exports")
        parser.add_argument("--metric-name", default="", help="metric for TensorBoard exports")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            metavar="COLUMN=ROLE",
            help="read a column as run, step, time, param, metric, tag, key, value or ignore "
            "(repeatable)",
        )
        parser.add_argument(
            "--date-order", default="", help="dmy or mdy, for dates such as 04-08-2024"
        )
        parser.add_argument("--delimiter", default="", help="the CSV delimiter: , ; tab or |")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="import even when Cairn is unsure how to read a file (exit 2 without it)",
        )
        parser.add_argument(
            "--sync", action="store_true", help="run the job in this process, without a worker"
        )
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait for a worker"
        )

    def handle(self, *args, **options) -> None:
        project = self._project(options["project"])
        told = bool(
            options["role"] or options["date_order"] or options["delimiter"] or options["yes"]
        )
        try:
            choices = import_choices.from_flags(
                options["role"],
                date_order=options["date_order"],
                delimiter=options["delimiter"],
                confirmed=options["yes"],
            ).as_dict()
        except import_choices.ChoicesInvalid as exc:
            raise CommandError(exc.message) from None
        paths = []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No such file: {name}")
            paths.append(path)
        results = []
        for group in _groups(paths):
            with ExitStack() as stack:
                uploads = [
                    imports.Upload(name, stack.enter_context(path.open("rb")), path.stat().st_size)
                    for path, name in group
                ]
                try:
                    imp, created = imports.import_create(
                        project=project,
                        user=project.owner,
                        uploads=uploads,
                        requested_format=options["format"] or "",
                        run_name=options["run_name"],
                        metric_name=options["metric_name"],
                        choices=choices if told else None,
                    )
                except imports.UploadRefused as exc:
                    raise CommandError(str(exc)) from None
            if not created and told and imp.is_done:
                # The same file again with choices: read it again with them.
                imp = imports.import_reread(experiment_import=imp, choices=choices)
                created = True
            if not created:
                self.stdout.write(f"{imp.original_name}: imported already (import {imp.pk}).")
                if not imp.is_done:  # another upload of the same file is under way: wait for it
                    imp = self._wait(imp, options["timeout"])
            elif options["sync"]:
                imports.import_process(import_id=imp.pk, token=f"cli-{uuid.uuid4().hex}")
            else:
                imp = self._wait(imp, options["timeout"])
            imp.refresh_from_db()
            results.append(imp)
            self._summary(imp)
        if any(imp.status == ImportStatus.FAILED for imp in results):
            sys.exit(1)
        if any(imp.status == ImportStatus.REVIEW for imp in results):
            sys.exit(2)

    def _project(self, spec: str) -> Project:
        if "/" not in spec:
            raise CommandError("--project must be owner/slug")
        project = project_by_path(spec)
        if project is None:
            raise CommandError(f"No project {spec}")
        return project

    def _wait(self, imp: ExperimentImport, timeout: float) -> ExperimentImport:
        """Show a progress bar until the worker is done; run in-process when none answers."""
        try:
            return self._wait_for(imp, timeout)
        except KeyboardInterrupt:
            raise CommandError(
                f"\nStopped waiting; import {imp.pk} goes on in the worker "
                f"({imp.get_absolute_url()})."
            ) from None

    def _wait_for(self, imp: ExperimentImport, timeout: float) -> ExperimentImport:
        start = time.monotonic()
        while True:
            imp.refresh_from_db()
            self._bar(imp)
            if imp.is_done:
                self.stdout.write("")
                return imp
            waited = time.monotonic() - start
            if imp.status == ImportStatus.QUEUED and waited > min(15.0, timeout):
                self.stdout.write("\nNo worker took the job; running it in this process.")
                imports.import_process(import_id=imp.pk, token=f"cli-{uuid.uuid4().hex}")
                imp.refresh_from_db()
                return imp
            if waited > timeout:
                raise CommandError(f"Import {imp.pk} did not finish in {timeout:.0f} s")
            time.sleep(0.3)

    def _bar(self, imp: ExperimentImport) -> None:
        done = int(BAR_WIDTH * imp.percent / 100)
        self.stdout.write(
            f"\r{imp.original_name[:30]:<30} [{'#' * done}{'.' * (BAR_WIDTH - done)}] "
            f"{imp.percent:3d}% {imp.get_status_display():<9}",
            ending="",
        )
        self.stdout.flush()

    def _summary(self, imp: ExperimentImport) -> None:
        if imp.status == ImportStatus.SUCCEEDED:
            report = imp.report or {}
            self.stdout.write(
                self.style.SUCCESS(
                    f"{imp.original_name}: {imp.runs_count} run{pluralize(imp.runs_count)}, "
                    f"{imp.series_count} series, {imp.points_count} point"
                    f"{pluralize(imp.points_count)} ({imp.detected_format}); "
                    f"{report.get('rows_rejected', 0)} rows rejected, "
                    f"{len(report.get('warnings', []))} warning"
                    f"{pluralize(len(report.get('warnings', [])))}."
                )
            )
            for warning in report.get("warnings", [])[:10]:
                self.stdout.write(f"  warning: {warning}")
        elif imp.status == ImportStatus.REVIEW:
            self._review(imp)
        else:
            self.stderr.write(self.style.ERROR(f"{imp.original_name}: failed: {imp.message}"))

    def _review(self, imp: ExperimentImport) -> None:
        """Held for review: how Cairn would read each column, and how to say otherwise."""
        report = imp.report or {}
        self.stderr.write(
            self.style.WARNING(f"{imp.original_name}: held for review: {imp.message}")
        )
        for decision in report.get("decisions", []):
            unsure = "  (not sure)" if decision.get("certain") is False else ""
            self.stderr.write(
                f"  {decision['subject']}: {decision['choice']} — {decision['why']}{unsure}"
            )
        roles = report.get("roles") or {}
        if roles:
            self.stderr.write("  columns:")
            width = min(30, max(len(c) for c in roles))
            for column, (role, why) in roles.items():
                self.stderr.write(f"    {column:<{width}}  {role:<7}  {why}")
        self.stderr.write(
            f"  Check it on the import's page ({imp.get_absolute_url()}), import it as read "
            "with --yes, or change the reading with --role COLUMN=ROLE, --date-order dmy|mdy, "
            "--delimiter ';' (and --yes)."
        )


def _kept_name(path: Path, kind: str | None) -> str:
    """The file's name, with its two folders when they name its run: Lightning's
    `my_exp/version_3/metrics.csv` (and hparams.yaml beside it), a TensorBoard export not
    named `run-<run>-tag-<tag>`, a Trainer's `<run>/checkpoint-N/trainer_state.json`."""
    parts = path.resolve().parts
    foldered = (
        kind == "companion"
        or path.name.lower() == "metrics.csv"
        or any(names.VERSION.fullmatch(p) for p in parts[-3:-1])
        or (kind in ("tensorboard_csv", "tensorboard_json") and not names.tensorboard(path.name))
        or kind == "hf_trainer_state"  # out/<run>/checkpoint-500/trainer_state.json
    )
    return "/".join(parts[-3:]) if foldered else path.name


def _groups(paths: list[Path]) -> list[list[tuple[Path, str]]]:
    """Files of one format as one import; each hparams.yaml or meta_tags.csv with its metrics."""
    kinds = []
    for path in paths:
        with path.open("rb") as handle:
            kinds.append(kind_of(path.name, handle.read(1 << 16)))
    kept = [_kept_name(path, kind) for path, kind in zip(paths, kinds, strict=True)]
    return [[(paths[i], kept[i]) for i in group] for group in group_uploads(kept, kinds)]
