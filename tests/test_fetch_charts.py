""".ci/fetch-charts, the script GitHub CI builds the chart reference data with, against a fake
``helm`` (no network here): what it writes is what the Helm values and CRD checks read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config.versions import CHARTS
from offline.chart_values import SUBCHARTS, ChartDefaults, chart_folder, charts_dir

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "fetch-charts"

#: A ``helm`` that "pulls" a small chart of the asked name and version: values.yaml declares
#: ``replicas`` and ``image.tag``; its template also reads ``image.digest`` (undeclared).
FAKE_HELM = r"""
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
def chart(root, name, version):
    write(root / "Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: {version}\n")
    write(root / "values.yaml", "replicas: 1\nimage:\n  tag: ''\n")
    write(root / "templates" / "deploy.yaml",
          "replicas: {{ .Values.replicas }}\ndigest: {{ .Values.image.digest }}\n")
if args[0] == "version":
    print("v3.16.2+fake")
elif args[0] == "show" and args[1] == "values":
    print(Path(args[2], "values.yaml").read_text(), end="")
elif args[0] == "pull":
    name = args[1].rstrip("/").rsplit("/", 1)[-1]
    version = args[args.index("--version") + 1]
    served = os.environ.get("FAKE_HELM_VERSION", version)
    root = Path(args[args.index("--untardir") + 1]) / name
    chart(root, name, served)
    write(root / "crds" / "thing.yaml", "kind: CustomResourceDefinition\n")
    for crd in ("crd-application.yaml", "crd-appproject.yaml"):
        write(root / "templates" / "crds" / crd, "kind: CustomResourceDefinition\n")
    for dep in json.loads(os.environ["FAKE_HELM_SUBCHARTS"]).get(name, []):
        chart(root / "charts" / dep, dep, "1.0.0")
else:
    sys.exit(f"fake helm: {args}")
"""


def fetch(tmp_path: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    helm = bin_dir / "helm"
    helm.write_text(f"#!{sys.executable}\n{FAKE_HELM}")
    helm.chmod(0o755)
    kept = {folder: [dep for dep, path in deps.items()
                     if path and path.startswith(f"{folder}/subcharts/")]
            for folder, deps in SUBCHARTS.items()}  # fmt: skip
    environ = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
               "FAKE_HELM_SUBCHARTS": json.dumps(kept), **env}  # fmt: skip
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(out), "--jobs", "2"],
        capture_output=True, text=True, env=environ, check=False,
    )  # fmt: skip


def test_it_writes_what_the_checks_read_for_every_pinned_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "charts"
    done = fetch(tmp_path, out)
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("ATNT_CHARTS_DIR", str(out))
    assert charts_dir(ROOT) == out, "the checks find the folder by its INDEX.md"
    for chart in CHARTS.values():
        folder = chart_folder(chart.name)
        meta = yaml.safe_load((out / folder / "Chart.yaml").read_text())
        assert str(meta["version"]) == chart.version
        defaults = ChartDefaults.load(out, folder)
        assert defaults.values == {"replicas": 1, "image": {"tag": ""}}
        assert "image.digest" in defaults.allowed, "a template path beyond values.yaml"
        assert "replicas" not in defaults.allowed
        assert (out / folder / "crds" / "thing.yaml").is_file()
    assert (out / "argo-cd" / "crds" / "crd-application.yaml").is_file()
    sub = out / "kube-prometheus-stack" / "subcharts" / "kube-state-metrics" / "values.yaml"
    assert sub.is_file()
    # Run again: the folder it wrote is replaced.
    assert fetch(tmp_path, out).returncode == 0


def test_it_refuses_a_wrong_version_and_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "charts"
    done = fetch(tmp_path, out, FAKE_HELM_VERSION="0.0.1")
    assert done.returncode == 1 and "pinned" in done.stderr
    assert not out.exists() and not (tmp_path / "charts.partial").exists()
    mine = tmp_path / "mine"
    (mine / "keep").mkdir(parents=True)
    done = fetch(tmp_path, mine)
    assert done.returncode == 2 and "not written by this script" in done.stderr
    assert (mine / "keep").is_dir()
