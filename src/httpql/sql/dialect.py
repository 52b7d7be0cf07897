"""The stackql grammar as a sqlglot dialect.

sqlglot already parses INSERT ... SELECT/VALUES ... RETURNING, SELECT, DELETE, UPDATE and DESCRIBE.
This dialect adds what stackql has on top: ``REPLACE a.b.c SET ... WHERE ...`` (UPDATE's grammar),
``EXEC a.b.c.method @p='v' @@json='{...}'`` and
``SHOW [EXTENDED] PROVIDERS|SERVICES|RESOURCES|METHODS [IN name] [LIKE 'pattern' | WHERE ...]``,
and names quoted with backticks as in MySQL.
Both are taken away from sqlglot's ``Command`` fallback so they get real parse errors.
"""

from __future__ import annotations

from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

SHOW_KINDS = ("PROVIDERS", "SERVICES", "RESOURCES", "METHODS")  # and SHOW INSERT INTO


class Show(exp.Expression):
    arg_types = {"kind": True, "this": False, "extended": False, "like": False, "where": False}


class Exec(exp.Expression):
    # this: dotted name parts (list of Identifier); expressions: ExecParam nodes;
    # returning: as INSERT's (hints such as /*+ SHOWRESULTS */ are read by translate.py)
    arg_types = {"this": True, "expressions": False, "returning": False}


class ExecParam(exp.Expression):
    # json=True for the stackql ``@@json`` whole-body parameter
    arg_types = {"this": True, "expression": True, "json": False}


class DottedName(exp.Expression):
    arg_types = {"expressions": True}


_NAME_TOKENS = {TokenType.VAR, TokenType.IDENTIFIER}


class StackQLParser(parser.Parser):
    STATEMENT_PARSERS = {
        **parser.Parser.STATEMENT_PARSERS,
        TokenType.EXECUTE: lambda self: self._parse_exec(),
        TokenType.SHOW: lambda self: self._parse_show(),
        TokenType.REPLACE: lambda self: self._parse_replace(),
    }

    def _parse_alias(self, this, explicit: bool = False):
        # sqlglot drops an AS with no name after it (RETURNING data AS); that is a typo to report
        result = super()._parse_alias(this, explicit)
        if result is this and self._prev is not None and self._prev.token_type == TokenType.ALIAS:
            self.raise_error("Expected a name after AS")
        return result

    def _parse_replace(self) -> exp.Update:
        # stackql's REPLACE is UPDATE's grammar sent as a PUT (the whole object): parsed the
        # same, and marked so the translation tells them apart
        update = self._parse_update()
        update.meta["replace"] = True
        return update

    def _parse_dotted_name(self, what: str) -> DottedName:
        parts = []
        while True:
            token = self._curr
            # keywords (e.g. a resource called "keys") are names here too
            if not token or not (token.token_type in _NAME_TOKENS or token.text.isidentifier()):
                self.raise_error(f"Expected {what}")
                return DottedName(expressions=parts)
            self._advance()
            quoted = token.token_type == TokenType.IDENTIFIER
            parts.append(exp.Identifier(this=token.text, quoted=quoted))
            if not self._match(TokenType.DOT):
                return DottedName(expressions=parts)

    def _parse_show(self) -> Show:
        if self._match(TokenType.INSERT):  # SHOW INSERT INTO resource[.method]: stackql's generator
            if not self._match(TokenType.INTO):
                self.raise_error("Expected INTO after SHOW INSERT")
            return Show(kind="INSERT", this=self._parse_dotted_name("a resource after INTO"))
        extended = self._match_text_seq("EXTENDED")
        if not self._match_texts(SHOW_KINDS):
            self.raise_error("Expected PROVIDERS, SERVICES, RESOURCES or METHODS after SHOW")
            return Show(kind="")
        kind = self._prev.text.upper()
        target = None
        if kind != "PROVIDERS":
            if not self._match(TokenType.IN):
                self.raise_error(f"Expected IN after SHOW {kind}")
            target = self._parse_dotted_name("a name after IN")
        like = where = None
        if self._match(TokenType.LIKE):
            if self._curr and self._curr.token_type == TokenType.IDENTIFIER:
                self._advance()  # LIKE "x": a pattern in double quotes, as MySQL reads it
                like = exp.Literal.string(self._prev.text)
            else:
                like = self._parse_primary()
            if not isinstance(like, exp.Literal) or not like.is_string:
                self.raise_error("Expected a quoted pattern after LIKE")
        elif self._curr and self._curr.token_type == TokenType.WHERE:
            where = self._parse_where()
        return Show(kind=kind, this=target, extended=extended, like=like, where=where)

    def _parse_exec(self) -> Exec:
        name = self._parse_dotted_name("a method name (provider.service.resource.method) after EXEC")
        params = []
        while self._curr and self._curr.token_type not in (TokenType.SEMICOLON,
                                                           TokenType.RETURNING):
            # commas between parameters are optional, as in stackql
            if params and self._match(TokenType.COMMA):
                continue
            if not self._match(TokenType.PARAMETER):
                self.raise_error("Expected a parameter like @name='value'")
                break
            is_json = self._match(TokenType.PARAMETER)
            if not self._curr or not (self._curr.token_type in _NAME_TOKENS
                                      or self._curr.text.isidentifier()):
                self.raise_error("Expected a parameter name after @")
                break
            self._advance()
            pname = self._prev.text
            if not self._match(TokenType.EQ):
                self.raise_error(f"Expected = after @{pname}")
                break
            value = self._parse_unary()
            if value is None:
                self.raise_error(f"Expected a value for @{pname}")
                break
            params.append(ExecParam(this=exp.Identifier(this=pname), expression=value,
                                    json=bool(is_json)))
        return Exec(this=name, expressions=params, returning=self._parse_returning())


class StackQL(Dialect):
    class Tokenizer(tokens.Tokenizer):
        KEYWORDS = {
            **tokens.Tokenizer.KEYWORDS,
            "EXEC": TokenType.EXECUTE,
            "EXECUTE": TokenType.EXECUTE,
        }
        # EXEC and SHOW get real parsers instead of the catch-all Command
        COMMANDS = tokens.Tokenizer.COMMANDS - {TokenType.EXECUTE, TokenType.SHOW}
        # stackql puts /*+ AWAIT */ and /*+ SHOWRESULTS */ after EXEC too
        TOKENS_PRECEDING_HINT = tokens.Tokenizer.TOKENS_PRECEDING_HINT | {TokenType.EXECUTE}
        # names quote with "..." (standard SQL) or `...` (MySQL, which stackql follows)
        IDENTIFIERS = ['"', "`"]

    Parser = StackQLParser
