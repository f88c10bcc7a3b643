"""Shell completion for bash, zsh and fish, from one source: the argparse parser of mechc.cli.

``commands(parser)`` reads the parser once into a table (each command, its help, its options with
their choices and whether they take a value); one small writer per shell turns the table into a
script. A new flag in cli.py is completed in every shell without touching this module. (shtab
would cover bash and zsh but not fish, so the three writers live here.)
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    choices: tuple[str, ...]
    takes_value: bool


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    files: bool  # takes spec files as positional arguments


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """The commands of a parser with subcommands, sorted by name."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    out = []
    for name, p in sorted(sub.choices.items()):
        opts = tuple(Option(tuple(a.option_strings), _plain(a.help), tuple(map(str, a.choices or ())),
                            a.nargs != 0 and not isinstance(a, argparse._HelpAction))
                     for a in p._actions if a.option_strings)
        files = any(not a.option_strings and a.dest != "help" and not a.choices for a in p._actions)
        out.append(Command(name, _plain(helps.get(name, "")), opts, files))
    return out


def _plain(text: str | None) -> str:
    return " ".join((text or "").replace("%(default)s", "").split())


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of ``shell`` (one of SHELLS)."""
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](commands(parser))


def _bash(cmds: list[Command]) -> str:
    cases, value_cases = [], []
    for c in cmds:
        cases.append(f'    {c.name}) opts="{" ".join(sorted(f for o in c.options for f in o.flags))}" ;;')
        for o in c.options:
            if o.takes_value:
                words = " ".join(o.choices)
                action = (f'COMPREPLY=($(compgen -W "{words}" -- "$cur"))' if o.choices
                          else 'COMPREPLY=($(compgen -f -- "$cur"))')
                pattern = " | ".join(f'"{c.name} {f}"' for f in o.flags)
                value_cases.append(f"    {pattern}) {action}; return ;;")
    names = " ".join(c.name for c in cmds)
    return "\n".join([
        "# bash completion for mechc: eval \"$(mechc completion)\"",
        "_mechc() {",
        "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=${COMP_WORDS[1]} opts",
        f'  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "{names} --help --version" -- "$cur")); return; fi',
        '  case "$cmd $prev" in',
        *value_cases,
        "  esac",
        '  case "$cmd" in',
        *cases,
        '    *) opts="" ;;',
        "  esac",
        '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur"));',
        '  else COMPREPLY=($(compgen -f -X "!*.mech" -- "$cur") $(compgen -d -- "$cur")); fi',
        "}",
        "complete -F _mechc mechc",
        "",
    ])


def _zsh_quote(text: str) -> str:
    return text.replace("'", "'\\''").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")


def _zsh(cmds: list[Command]) -> str:
    lines = ["#compdef mechc", "# zsh completion for mechc: eval \"$(mechc completion zsh)\"", "_mechc() {",
             "  local -a commands", "  commands=("]
    lines += [f"    '{c.name}:{_zsh_quote(c.help)}'" for c in cmds]
    lines += ["  )", "  if (( CURRENT == 2 )); then",
              "    _arguments '--help[show help]' '--version[show the version]' '1:command:->cmd'",
              "    [[ $state == cmd ]] && _describe 'command' commands", "    return", "  fi",
              "  local cmd=$words[2]", "  shift words", "  (( CURRENT-- ))", "  case $cmd in"]
    for c in cmds:
        specs = []
        for o in c.options:
            flags = o.flags[0] if len(o.flags) == 1 else "{" + ",".join(o.flags) + "}"
            excl = f"({' '.join(o.flags)})" if len(o.flags) > 1 else ""
            value = ""
            if o.takes_value:
                value = f":value:({' '.join(o.choices)})" if o.choices else ":value:_files"
            specs.append(f"'{excl}'{flags}'[{_zsh_quote(o.help)}]{value}'")
        if c.files:
            specs.append("'*:spec:_files -g \"*.mech(-.)\"'")
        lines.append(f"    {c.name}) _arguments {' '.join(specs)} ;;")
    lines += ["  esac", "}", "compdef _mechc mechc", ""]
    return "\n".join(lines)


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(cmds: list[Command]) -> str:
    names = " ".join(c.name for c in cmds)
    lines = ["# fish completion for mechc: mechc completion fish | source", "complete -c mechc -f",
             "complete -c mechc -n __fish_use_subcommand -l help -d 'show help'",
             "complete -c mechc -n __fish_use_subcommand -l version -d 'show the version'"]
    for c in cmds:
        lines.append(f"complete -c mechc -n __fish_use_subcommand -a {c.name} -d {_fish_quote(c.help)}")
    for c in cmds:
        cond = f"'__fish_seen_subcommand_from {c.name}'"
        for o in c.options:
            parts = [f"-{'l' if f.startswith('--') else 's'} {f.lstrip('-')}" for f in o.flags]
            value = (f" -x -a {_fish_quote(' '.join(o.choices))}" if o.choices else " -r") if o.takes_value else ""
            lines.append(f"complete -c mechc -n {cond} {' '.join(parts)}{value} -d {_fish_quote(o.help)}")
        if c.files:
            lines.append(f"complete -c mechc -n {cond} -k -a '(__fish_complete_suffix .mech)'")
    lines.append(f"# commands: {names}")
    return "\n".join(lines) + "\n"
