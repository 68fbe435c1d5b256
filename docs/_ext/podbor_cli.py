"""The ``podbor-cli`` directive: the reference of the ``podbor`` command line, from its parser.

The directive builds the real argparse parser (``podbor.cli._main._build_parser`` unless its
argument names another ``module:function``) and renders, at build time:

* the usage of ``podbor`` and the options every command takes (listed once);
* one section per command, and per command of a group (``podbor storage upgrade``): its
  description, its usage as a literal block and its own options as an option list.

So the page cannot go stale: a new command or option appears at the next build. Use::

    .. podbor-cli::

The options shared by every command (``--storage``, ``-q``, ``-v``, ``-h``) are left out of the
per-command lists; the usage lines still show them.
"""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id

__all__ = ["PodborCliDirective", "setup"]

DEFAULT_BUILDER = "podbor.cli._main:_build_parser"
WIDTH = 88  # columns of the usage blocks, fixed so that the page does not depend on a terminal
_OPTION = re.compile(r"(?<![\w-])(--[a-z][\w-]*)")


def _text(text: str) -> nodes.paragraph:
    """A paragraph of help text, its ``--option`` names as literals, quotes left as typed."""
    paragraph = nodes.paragraph(support_smartquotes=False)
    for i, part in enumerate(_OPTION.split(text)):
        if part:
            paragraph += nodes.literal(text=part) if i % 2 else nodes.Text(part)
    return paragraph


def _formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    return parser.formatter_class(prog=parser.prog, width=WIDTH, max_help_position=32)


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = _formatter(parser)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """``(name, one-line help, parser)`` of each subcommand, in the order of ``--help``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name, ""), sub


def _is_shown(action: argparse.Action, common: set[str]) -> bool:
    if isinstance(action, (argparse._SubParsersAction, argparse._HelpAction)):
        return False
    if action.help == argparse.SUPPRESS:
        return False
    return not (action.option_strings and set(action.option_strings) <= common)


def _option_list(parser: argparse.ArgumentParser, common: set[str]) -> nodes.option_list | None:
    """The parser's own options (and positional arguments) as a docutils option list."""
    formatter = _formatter(parser)
    items = []
    for action in parser._actions:
        if not _is_shown(action, common):
            continue
        group = nodes.option_group()
        if action.option_strings:
            args = ""
            if action.nargs != 0:
                args = formatter._format_args(
                    action, formatter._get_default_metavar_for_optional(action)
                )
            for string in action.option_strings:
                option = nodes.option("", nodes.option_string(text=string))
                if args:
                    option += nodes.option_argument(text=args, delimiter=" ")
                group += option
        else:
            metavar = formatter._get_default_metavar_for_positional(action)
            group += nodes.option(
                "", nodes.option_string(text=formatter._format_args(action, metavar))
            )
        help_text = formatter._expand_help(action) if action.help else ""
        description = nodes.description("", _text(help_text))
        items.append(nodes.option_list_item("", group, description))
    if not items:
        return None
    return nodes.option_list("", *items)


class PodborCliDirective(SphinxDirective):
    """``.. podbor-cli:: [module:function]`` — the command-line reference, one section a command."""

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        module_name, _, function_name = (self.arguments or [DEFAULT_BUILDER])[0].partition(":")
        parser: argparse.ArgumentParser = getattr(
            importlib.import_module(module_name), function_name
        )()
        # the options every command takes: those of the main parser (they are accepted after
        # the command name too), and -h
        common = {"-h", "--help"}
        for action in parser._actions:
            if not isinstance(action, (argparse._VersionAction, argparse._SubParsersAction)):
                common.update(action.option_strings)

        result: list[nodes.Node] = [
            nodes.literal_block(text=_usage(parser), language="none"),
        ]
        if parser.description:
            result.append(_text(parser.description))
        main_options = _option_list(parser, {"-h", "--help"})
        if main_options is not None:
            result.append(
                nodes.paragraph(
                    text="Options every command takes (before or after the command's name):"
                )
            )
            result.append(main_options)
        if parser.epilog:
            result.append(_text(parser.epilog))
        for _name, help_text, sub in _subcommands(parser):
            result.append(self._section(sub, help_text, common))
        return result

    def _section(
        self, parser: argparse.ArgumentParser, help_text: str, common: set[str]
    ) -> nodes.section:
        title = parser.prog
        section_id = make_id(self.env, self.state.document, "cli", title)
        section = nodes.section(ids=[section_id], names=[nodes.fully_normalize_name(title)])
        section += nodes.title("", "", nodes.literal(text=title))
        text = parser.description or help_text
        if text:
            section += _text(text)
        section += nodes.literal_block(text=_usage(parser), language="none")
        options = _option_list(parser, common)
        if options is not None:
            section += options
        for _, sub_help, sub in _subcommands(parser):
            section += self._section(sub, sub_help, common)
        return section


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``podbor-cli`` directive."""
    app.add_directive("podbor-cli", PodborCliDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
