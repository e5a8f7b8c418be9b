"""`python -m chalicelib.policy check FILE` | `python -m chalicelib.policy table [FILE]`.

check: a short summary of a valid policy (exit 0), or every problem with its place in the file (exit 1).
table: the retention table of the file (markdown), as docs/ARCHITECTURE.md shows it for the default policy.
"""

from __future__ import annotations

import sys

import click

from chalicelib.policy import PolicyError, load_policy, retention_policy


def local_default() -> str:
    """The local stage's STORE_POLICY (.chalice/config.json): the file `make serve` runs by default."""
    import json

    from chalicelib.policy import ROOT

    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return str(config["stages"]["local"]["environment_variables"]["STORE_POLICY"])


@click.group()
def main() -> None:
    """Check a store's policy file, or print its retention table."""


@main.command()
@click.argument("file")
def check(file: str) -> None:
    """Validate FILE; print a summary or every problem."""
    try:
        policy = load_policy(file)
    except PolicyError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    rights = ", ".join(policy.rights.offered)
    cookies = ", ".join(f"{name} ({len(c.cookies)} cookies)" for name, c in policy.cookies.items())
    click.echo(f"{file}: ok\n"
               f"  controller: {policy.controller.display_name} ({policy.controller.country or 'country not given'})\n"
               f"  policy version {policy.policy.version}, effective {policy.policy.effective.isoformat()}\n"
               f"  regimes: {', '.join(policy.regimes.served)} (otherwise {policy.regimes.otherwise})\n"
               f"  hosted in {policy.hosting.country} ({policy.hosting.provider}, {policy.hosting.region})\n"
               f"  {len(policy.categories)} data categories, {len(policy.recipients)} recipients\n"
               f"  cookies: {cookies}\n"
               f"  IP addresses: {policy.ip_addresses.store}\n"
               f"  rights: {rights}; answers in {', '.join(policy.rights.languages)}")


def retention_table(file: str) -> str:
    rules = retention_policy(load_policy(file)).rules()
    lines = ["| category | retention | at expiry | legal basis | what |", "|---|---|---|---|---|"]
    for rule in sorted(rules, key=lambda r: r.category.value):
        days = f"{rule.days} days" + (f" (at most {rule.max_days})" if rule.max_days else "")
        if rule.by_attribute:
            days += " or by " + rule.by_attribute + ": " + ", ".join(f"{v} {d}" for v, d in rule.days_by_value)
        lines.append(f"| `{rule.category.value}` | {days} | {rule.action} | {rule.legal_basis} | {rule.purpose} |")
    return "\n".join(lines) + "\n"


@main.command()
@click.argument("file", required=False)
def table(file: str | None) -> None:
    """Print FILE's retention table (markdown); without FILE, the local stage's policy."""
    try:
        click.echo(retention_table(file or local_default()), nl=False)
    except PolicyError as error:
        click.echo(str(error), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
