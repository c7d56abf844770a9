import subprocess
import sys


def test_cli_import_stays_light() -> None:
    """`mlscaffold --help` must stay fast: heavy libraries load only inside the commands."""
    code = (
        "import sys, mlscaffold.cli; "
        "heavy = {'copier', 'jinja2', 'yaml', 'platformdirs', 'pydantic'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
