"""Compare imlconnect's IML templates with equivalent Jinja2 templates on the connection corpus.

Every string value containing `{{` in the corpus communication, base and module files is
compiled and rendered by imlconnect, and its automatic Jinja2 translation (see `_translate`) is
compiled and rendered by Jinja2 in the same process. Each template gets a context in which its
paths resolve (see `_contexts`). Templates that imlconnect cannot compile, that have no
translation, or whose Jinja2 output differs from imlconnect's are listed and left out of both
sides.

Timing: `time.perf_counter_ns`, a warm-up, then the best of several runs per phase, where one
run repeats a pass over all templates enough times to last about one second (0.1 s with
`--quick`). The last output line is `ratio render=R compile=C`: imlconnect's time divided by
Jinja2's.

Run: `python benchmarks/iml_vs_jinja.py [--quick] [--json FILE] [--corpus DIR]`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _contexts
import _corpus
import _translate
import jinja2

from imlconnect.iml import Context, IMLError, compile_template, to_string
from imlconnect.iml import template as template_module
from imlconnect.iml.functions.registry import BUILTINS
from imlconnect.iml.limits import DEFAULT_LIMITS
from imlconnect.iml.parser import parse_template

#: The clock of every context, so outputs that contain `now` are reproducible.
NOW = datetime(2026, 1, 15, 9, 30, 0, tzinfo=UTC)
MAX_ITERATIONS = 100_000
MAX_SECONDS = 300.0


@dataclass
class Case:
    """One corpus template that both engines compile and render with the same output."""

    source: str
    file: str
    json_path: str
    jinja_source: str
    jinja_globals: dict[str, Any]
    context: Context
    jinja_variables: dict[str, Any]
    iml_template: Any
    jinja_template: jinja2.Template


@dataclass
class Exclusion:
    """A template left out of both engines. `stage` names the step that failed."""

    source: str
    file: str
    json_path: str
    stage: str
    reason: str


@dataclass
class Phase:
    """The timing of one phase: the best run, in nanoseconds per pass over all templates.

    `best_ns_per_pass` is wall-clock time (`perf_counter_ns`). `best_cpu_ns_per_pass` is the
    fastest process CPU time of the runs, which a busy machine inflates less.
    """

    name: str
    best_ns_per_pass: float
    best_cpu_ns_per_pass: float
    iterations: int
    runs: int

    def microseconds_per_template(self, count: int) -> float:
        return self.best_ns_per_pass / count / 1000


def main(argv: list[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    started = time.perf_counter()
    corpus = Path(arguments.corpus) if arguments.corpus else _corpus.default_corpus_dir()
    if not corpus.is_dir():
        print(f"Corpus folder not found: {corpus}. Pass --corpus DIR.", file=sys.stderr)
        return 2

    templates = _corpus.collect_templates(corpus)
    if not templates:
        print(f"No templates with '{{{{' found in {corpus}.", file=sys.stderr)
        return 2
    base_context = Context({}, now=NOW, timezone="UTC", rng=random.Random(1))
    environment = _translate.make_environment()
    helpers = _translate.helper_globals(base_context)
    cases, exclusions = _prepare(templates, base_context, environment, helpers)
    _print_exclusions(exclusions)
    if not cases:
        print("No template could be compared; see the exclusions above.", file=sys.stderr)
        return 1

    compile_iml, bypass = _iml_compiler()
    runs, run_seconds = (2, 0.1) if arguments.quick else (5, 1.0)
    phases = _measure(cases, environment, compile_iml, runs, run_seconds)

    elapsed = time.perf_counter() - started
    report = _report(templates, cases, exclusions, phases, bypass, runs, run_seconds, elapsed)
    _print_table(report)
    if arguments.json:
        Path(arguments.json).write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(f"ratio render={report['ratio']['render']:.2f} compile={report['ratio']['compile']:.2f}")
    return 0


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Compare imlconnect and Jinja2 on the corpus IML templates.")
    parser.add_argument(
        "--quick", action="store_true", help="2 runs of about 0.1 s per phase instead of 5 of 1 s"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to FILE as JSON")
    parser.add_argument(
        "--corpus", metavar="DIR", help="corpus folder (default: the one the test suite reads)"
    )
    return parser.parse_args(argv)


# --- preparation -----------------------------------------------------------------------------


def _prepare(
    templates: list[_corpus.CorpusTemplate],
    base_context: Context,
    environment: jinja2.Environment,
    helpers: dict[str, Any],
) -> tuple[list[Case], list[Exclusion]]:
    cases: list[Case] = []
    exclusions: list[Exclusion] = []
    for item in templates:
        try:
            case = _prepare_one(item, base_context, environment, helpers)
        except _Excluded as excluded:
            exclusions.append(
                Exclusion(item.source, item.file, item.json_path, excluded.stage, excluded.reason)
            )
            continue
        cases.append(case)
    return cases, exclusions


class _Excluded(Exception):
    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


def _prepare_one(
    item: _corpus.CorpusTemplate,
    base_context: Context,
    environment: jinja2.Environment,
    helpers: dict[str, Any],
) -> Case:
    try:
        iml_template = compile_template(item.source)
    except IMLError as error:
        raise _Excluded("compile", f"imlconnect cannot compile it: {_first_line(error)}") from None
    parsed = parse_template(item.source, DEFAULT_LIMITS)
    try:
        translation = _translate.translate(parsed)
    except _translate.TranslationError as error:
        raise _Excluded("translate", f"no Jinja2 translation: {error}") from None
    try:
        template_globals = translation.template_globals(helpers)
        jinja_template = environment.from_string(translation.source, globals=template_globals)
    except jinja2.TemplateSyntaxError as error:
        raise _Excluded(
            "jinja-compile", f"Jinja2 rejects the translation {translation.source!r}: {error}"
        ) from None

    context = base_context.with_variables(**_contexts.build_variables(parsed, NOW))
    jinja_variables = translation.render_variables(context)
    iml_output, jinja_output = _render_both(
        iml_template, context, jinja_template, jinja_variables, base_context
    )
    if iml_output != jinja_output:
        raise _Excluded("mismatch", f"outputs differ: imlconnect {iml_output!r}, Jinja2 {jinja_output!r}")
    return Case(
        item.source,
        item.file,
        item.json_path,
        translation.source,
        template_globals,
        context,
        jinja_variables,
        iml_template,
        jinja_template,
    )


def _render_both(
    iml_template: Any,
    context: Context,
    jinja_template: jinja2.Template,
    jinja_variables: dict[str, Any],
    base_context: Context,
) -> tuple[str, str]:
    """Render once with each engine, with the same `uuid` and `random` sequence on both sides."""
    try:
        with _repeatable_randomness(base_context):
            iml_output = to_string(iml_template.render(context))
    except IMLError as error:
        raise _Excluded("render", f"imlconnect fails to render it: {_first_line(error)}") from None
    try:
        with _repeatable_randomness(base_context):
            jinja_output = jinja_template.render(jinja_variables)
    except Exception as error:  # noqa: BLE001 - Jinja2 and the IML built-ins raise many exception types
        raise _Excluded("render", f"Jinja2 fails to render it: {type(error).__name__}: {error}") from None
    return iml_output, jinja_output


@contextmanager
def _repeatable_randomness(context: Context) -> Iterator[None]:
    counter = iter(range(1, 1_000_000))
    original = uuid.uuid4
    uuid.uuid4 = lambda: uuid.UUID(int=next(counter))
    if context.rng is not None:
        context.rng.seed(1)
    try:
        yield
    finally:
        uuid.uuid4 = original


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _iml_compiler() -> tuple[Callable[[str], Any], str]:
    """Return a function that compiles a template without imlconnect's template cache.

    `compile_template` returns cached templates, so the benchmark calls the function under the
    LRU cache directly (`__wrapped__`), which does the full parse and compile. If that ever
    disappears, it clears the cache before every compile instead, which times the clearing too.
    """
    cached = getattr(template_module, "_compile_cached", None)
    raw = getattr(cached, "__wrapped__", None)
    if raw is not None:
        return (lambda source: raw(source, BUILTINS, DEFAULT_LIMITS)), "template._compile_cached.__wrapped__"
    clear = getattr(cached, "cache_clear", None)
    if clear is None:
        raise SystemExit(
            "imlconnect's template cache has neither __wrapped__ nor cache_clear; cannot time compilation"
        )

    def compile_uncached(source: str) -> Any:
        clear()
        return compile_template(source)

    return compile_uncached, "template._compile_cached.cache_clear() before each compile"


# --- timing ----------------------------------------------------------------------------------


def _measure(
    cases: list[Case],
    environment: jinja2.Environment,
    compile_iml: Callable[[str], Any],
    runs: int,
    run_seconds: float,
) -> dict[str, Phase]:
    iml_sources = [case.source for case in cases]
    jinja_sources = [(case.jinja_source, case.jinja_globals) for case in cases]
    iml_renders = [(case.iml_template.render, case.context) for case in cases]
    jinja_renders = [(case.jinja_template.render, case.jinja_variables) for case in cases]
    from_string = environment.from_string
    # Jinja2's cost per render() call apart from the template body: context creation, the
    # output generator and the join, measured with the same variables on every case.
    empty_render = environment.from_string("-").render
    jinja_variables = [case.jinja_variables for case in cases]

    def iml_compile_pass() -> None:
        for source in iml_sources:
            compile_iml(source)

    def jinja_compile_pass() -> None:
        for source, template_globals in jinja_sources:
            from_string(source, globals=template_globals)

    def iml_render_pass() -> None:
        for render, context in iml_renders:
            render(context)

    def jinja_empty_render_pass() -> None:
        for variables in jinja_variables:
            empty_render(variables)

    def iml_render_text_pass() -> None:
        for render, context in iml_renders:
            to_string(render(context))

    def jinja_render_pass() -> None:
        for render, variables in jinja_renders:
            render(variables)

    passes = {
        "imlconnect compile": iml_compile_pass,
        "Jinja2 compile": jinja_compile_pass,
        "imlconnect render": iml_render_pass,
        "Jinja2 render": jinja_render_pass,
        "imlconnect render + to_string": iml_render_text_pass,
        "Jinja2 render without expressions": jinja_empty_render_pass,
    }
    return _time_phases(passes, runs, run_seconds)


def _time_phases(passes: dict[str, Callable[[], None]], runs: int, run_seconds: float) -> dict[str, Phase]:
    """Time each pass function, keeping the fastest of `runs` runs.

    The runs of all phases are interleaved (run 1 of every phase, then run 2, ...), so a
    change in machine load during the benchmark affects both engines alike.
    """
    iterations: dict[str, int] = {}
    for name, run_pass in passes.items():
        gc.collect()
        run_pass()  # warm-up
        start = time.perf_counter_ns()
        run_pass()
        once = max(time.perf_counter_ns() - start, 1)
        iterations[name] = max(1, min(MAX_ITERATIONS, round(run_seconds * 1e9 / once)))

    best: dict[str, int] = {}
    best_cpu: dict[str, int] = {}
    deadline = time.perf_counter() + MAX_SECONDS
    for _ in range(runs):
        for name, run_pass in passes.items():
            gc.collect()
            count = iterations[name]
            cpu_start = time.process_time_ns()
            start = time.perf_counter_ns()
            for _ in range(count):
                run_pass()
            elapsed = time.perf_counter_ns() - start
            cpu = time.process_time_ns() - cpu_start
            best[name] = min(best.get(name, elapsed), elapsed)
            best_cpu[name] = min(best_cpu.get(name, cpu), cpu)
        if time.perf_counter() > deadline:
            break
    return {
        name: Phase(
            name, best[name] / iterations[name], best_cpu[name] / iterations[name], iterations[name], runs
        )
        for name in passes
    }


# --- output ----------------------------------------------------------------------------------


def _report(
    templates: list[_corpus.CorpusTemplate],
    cases: list[Case],
    exclusions: list[Exclusion],
    phases: dict[str, Phase],
    bypass: str,
    runs: int,
    run_seconds: float,
    elapsed: float,
) -> dict[str, Any]:
    count = len(cases)
    per_template = {name: round(phase.microseconds_per_template(count), 3) for name, phase in phases.items()}
    iml_compile = phases["imlconnect compile"].best_ns_per_pass
    jinja_compile = phases["Jinja2 compile"].best_ns_per_pass
    iml_render = phases["imlconnect render"].best_ns_per_pass
    jinja_render = phases["Jinja2 render"].best_ns_per_pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "jinja2": jinja2.__version__,
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "templates": {
            "collected": len(templates),
            "unique": len({item.source for item in templates}),
            "files": len({item.file for item in templates}),
            "translated": len(templates)
            - sum(1 for item in exclusions if item.stage in ("compile", "translate")),
            "measured": count,
            "measured_unique": len({case.source for case in cases}),
            "excluded": len(exclusions),
            "excluded_by_stage": {
                stage: sum(1 for item in exclusions if item.stage == stage)
                for stage in ("compile", "translate", "jinja-compile", "render", "mismatch")
            },
        },
        "exclusions": [item.__dict__ for item in exclusions],
        "cache_bypass": bypass,
        "timing": {
            "runs": runs,
            "seconds_per_run": run_seconds,
            "iterations": {name: phase.iterations for name, phase in phases.items()},
            "best_ns_per_pass": {name: round(phase.best_ns_per_pass) for name, phase in phases.items()},
            "best_cpu_ns_per_pass": {
                name: round(phase.best_cpu_ns_per_pass) for name, phase in phases.items()
            },
            "microseconds_per_template": per_template,
            "total_seconds": round(elapsed, 1),
        },
        "ratio": {
            "render": round(iml_render / jinja_render, 2),
            "compile": round(iml_compile / jinja_compile, 2),
            "render_with_to_string": round(
                phases["imlconnect render + to_string"].best_ns_per_pass / jinja_render, 2
            ),
            "render_cpu": round(_cpu(phases, "imlconnect render") / _cpu(phases, "Jinja2 render"), 2),
            "compile_cpu": round(_cpu(phases, "imlconnect compile") / _cpu(phases, "Jinja2 compile"), 2),
        },
    }


def _cpu(phases: dict[str, Phase], name: str) -> float:
    return max(phases[name].best_cpu_ns_per_pass, 1.0)


def _print_exclusions(exclusions: list[Exclusion]) -> None:
    if not exclusions:
        return
    print(f"Excluded from both engines ({len(exclusions)}):")
    for item in exclusions:
        print(f"  {item.file} {item.json_path}: {item.source!r}")
        print(f"    {item.reason}")
    print()


def _print_table(report: dict[str, Any]) -> None:
    counts = report["templates"]
    times = report["timing"]["microseconds_per_template"]
    print(f"templates   {counts['collected']} ({counts['unique']} unique) from {counts['files']} files")
    print(f"translated  {counts['translated']}")
    stages = ", ".join(f"{stage} {count}" for stage, count in counts["excluded_by_stage"].items() if count)
    print(f"excluded    {counts['excluded']}" + (f" (failed at: {stages})" if stages else ""))
    print(f"measured    {counts['measured']} ({counts['measured_unique']} unique)")
    print(
        f"best of {report['timing']['runs']} runs; imlconnect compile without its cache ({report['cache_bypass']})"
    )
    print()
    print(f"{'engine':<12} {'compile µs/template':>20} {'render µs/template':>19}")
    print(f"{'imlconnect':<12} {times['imlconnect compile']:>20.2f} {times['imlconnect render']:>19.3f}")
    print(f"{'Jinja2':<12} {times['Jinja2 compile']:>20.2f} {times['Jinja2 render']:>19.3f}")
    print(
        f"imlconnect render + to_string: {times['imlconnect render + to_string']:.3f} µs/template "
        f"(ratio {report['ratio']['render_with_to_string']:.2f})"
    )
    print(
        f"Jinja2 render() of a template without expressions: {times['Jinja2 render without expressions']:.3f} "
        "µs/template (its cost per call)"
    )
    print(
        f"ratios by process CPU time (less affected by other load): render={report['ratio']['render_cpu']:.2f} "
        f"compile={report['ratio']['compile_cpu']:.2f}"
    )
    print(f"total time {report['timing']['total_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
