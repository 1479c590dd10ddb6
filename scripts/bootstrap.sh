#!/usr/bin/env bash
# Create .venv and install mlpipelines with its dev and example extras; a no-op when
# pyproject.toml and constraints.txt are unchanged since the last install. A first install
# fetches about 300 packages: minutes on a small machine, so it says how far it got.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -c 'import sys; assert sys.version_info >= (3, 10), "mlpipelines needs Python >= 3.10"'
    "$python" -m venv .venv
fi

# pip's own lines, boiled down to one progress line every 25 packages, the install step and
# any warning or error (pip -q says nothing for minutes; without -q it says too much).
show_progress() {
    local resolved=0 line names
    while IFS= read -r line; do
        case $line in
            Collecting* | "Requirement already satisfied"*)
                resolved=$((resolved + 1))
                if ((resolved % 25 == 0)); then
                    echo "  ${SECONDS}s: $resolved packages resolved ..."
                fi
                ;;
            "Installing collected packages:"*)
                names=${line#*:}
                echo "  ${SECONDS}s: $resolved packages resolved; installing" \
                    "$(($(tr -cd , <<<"$names" | wc -c) + 1)) of them (the longest part) ..."
                ;;
            "Successfully installed"*) echo "  ${SECONDS}s: installed." ;;
            "WARNING: Location"*) ;;
            ERROR*) echo "$line" ;;
            WARNING* | INFO:*) echo "  $line" ;;
        esac
    done
}

stamp=.venv/.mlpipelines-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing mlpipelines, Airflow 3.3 and the example libraries into .venv."
    echo "A first install takes 3-10 minutes on a 2-core machine (later ones: seconds) ..."
    SECONDS=0
    .venv/bin/python -m pip install -q -U pip 2>&1 | grep -v "^WARNING: Location" || true
    # constraints.txt pins two packages pip otherwise backtracks over for minutes.
    .venv/bin/python -m pip install --progress-bar off -c constraints.txt -e ".[dev,examples]" 2>&1 \
        | tee .venv/install.log | show_progress || true
    .venv/bin/python -c "import mlpipelines, airflow, sklearn" || {
        echo "The install failed; pip's full output is in .venv/install.log" >&2
        exit 1
    }
    echo "$want" > "$stamp"
    echo "Installed in ${SECONDS}s."
fi

# The walk's C accelerator (native/): built and installed into .venv after the provider, again
# whenever its sources change. Optional: without a compiler the provider walks in Python.
native_stamp=.venv/.mlpipelines-native-installed
native_want=$(cat native/pyproject.toml native/setup.py native/*.c | sha256sum | cut -d' ' -f1)
if [ "$(cat "$native_stamp" 2>/dev/null)" != "$native_want" ]; then
    if .venv/bin/python -m pip install -q --progress-bar off ./native >.venv/native-install.log 2>&1; then
        echo "$native_want" > "$native_stamp"
    else
        echo "WARNING: the C accelerator mlpipelines-native did not build (see" \
            ".venv/native-install.log); mlpipelines works without it, walking in Python." >&2
    fi
fi
