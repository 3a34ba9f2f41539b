"""`make econ`: the agent simulation on a fresh Anvil chain; writes docs/economics.md.

python -m scripts.econ [--jobs 2400] [--leases 200] [--seed 1] [--out docs/economics.md]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

from web3 import HTTPProvider, Web3

from keepers.devchain import REPO_ROOT, Anvil
from scripts.econ.report import write_report
from scripts.econ.run import simulate

DOC = REPO_ROOT / "docs" / "economics.md"


def deploy_protocol(anvil: Anvil, out_dir: Path) -> tuple[Path, str]:
    """scripts/deploy.py's deployment from Anvil's first account: (deployment file, governance)."""
    from brownie import accounts

    from scripts.deploy import deploy, write_deployment
    from scripts.localchain import brownie_on_anvil

    with contextlib.redirect_stdout(io.StringIO()), brownie_on_anvil(anvil):
        governance = accounts[0]
        path = write_deployment(deploy(governance), out_dir)
        return path, governance.address


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=_positive, default=2400, help="jobs to simulate (default 2400)")
    parser.add_argument("--leases", type=_positive, default=200, help="leases to simulate (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, default=DOC, help="where to write the report (default docs/economics.md)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="leasehold-econ-") as tmp, Anvil() as anvil:
        print(f"Anvil on {anvil.url} (pid {anvil.pid}); deploying", flush=True)
        deployment, governance = deploy_protocol(anvil, Path(tmp))
        w3 = Web3(HTTPProvider(anvil.url, request_kwargs={"timeout": 300}))
        results = simulate(
            w3,
            deployment,
            governance,
            jobs_n=args.jobs,
            leases_n=args.leases,
            seed=args.seed,
            progress=lambda line: print(line, flush=True),
        )
        if results.books["residual"] != 0 or any(v != 0 for k, v in results.books.items() if k.startswith("unowed")):
            print(f"the books do not balance: {results.books}", file=sys.stderr)
            return 1
        write_report(
            results, args.out, argv=["--jobs", str(args.jobs), "--leases", str(args.leases), "--seed", str(args.seed)]
        )
    print(f"wrote {args.out} ({results.seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
