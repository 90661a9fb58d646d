package odata

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/setupranali/setupranali/httpapi/semantic"
)

// Error is a request the server refuses: NotImplemented for valid OData it does not support
// (501), else a malformed request (400).
type Error struct {
	NotImplemented bool
	// Code, when set, is the error code word the response carries (else invalid_request or
	// not_supported), e.g. incremental_window_exceeded.
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func badf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *Error {
	return &Error{NotImplemented: true, Message: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokDate
	tokDateTime
	tokLParen
	tokRParen
	tokComma
	tokSlash
	// tokColon only appears in lambda expressions (customers/any(c: ...)), which are refused
	// by name once parsing reaches them.
	tokColon
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tokLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tokRParen, ")", i})
			i++
		case c == ',':
			out = append(out, token{tokComma, ",", i})
			i++
		case c == '/':
			out = append(out, token{tokSlash, "/", i})
			i++
		case c == ':':
			out = append(out, token{tokColon, ":", i})
			i++
		case c == '\'':
			var sb strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, badf("unterminated string literal at position %d", i+1)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						sb.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				sb.WriteByte(s[j])
				j++
			}
			out = append(out, token{tokString, sb.String(), i})
			i = j + 1
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || strings.IndexByte(".eE+-:TZ", s[j]) >= 0) {
				// A sign inside a number only follows an exponent, inside a date or a time.
				if (s[j] == '+' || s[j] == '-') && !(s[j-1] == 'e' || s[j-1] == 'E' || j-i >= 4) {
					break
				}
				j++
			}
			text := s[i:j]
			kind := tokNumber
			if len(text) >= 10 && text[4] == '-' && text[7] == '-' {
				kind = tokDate
				if len(text) > 10 {
					kind = tokDateTime
				}
			}
			// Type suffixes of numbers (1.5M, 2L, 3d, 4f) are accepted and dropped.
			if kind == tokNumber && j < len(s) && strings.IndexByte("MmLlDdFf", s[j]) >= 0 && (j+1 == len(s) || !isIdent(rune(s[j+1]))) {
				j++
			}
			out = append(out, token{kind, text, i})
			i = j
		case isIdentStart(rune(c)):
			j := i + 1
			for j < len(s) && isIdent(rune(s[j])) {
				j++
			}
			// The typed literal forms date'…', datetime'…' and datetimeoffset'…'.
			word := s[i:j]
			if j < len(s) && s[j] == '\'' {
				switch strings.ToLower(word) {
				case "date", "datetime", "datetimeoffset":
					end := strings.IndexByte(s[j+1:], '\'')
					if end < 0 {
						return nil, badf("unterminated %s literal at position %d", word, i+1)
					}
					lit := s[j+1 : j+1+end]
					kind := tokDateTime
					if len(lit) == 10 {
						kind = tokDate
					}
					out = append(out, token{kind, lit, i})
					i = j + 2 + end
					continue
				}
			}
			out = append(out, token{tokIdent, word, i})
			i = j
		default:
			return nil, badf("unexpected character %q at position %d", c, i+1)
		}
	}
	return append(out, token{tokEOF, "", len(s)}), nil
}

func isIdentStart(r rune) bool { return r == '_' || r == '$' || unicode.IsLetter(r) }
func isIdent(r rune) bool      { return isIdentStart(r) || unicode.IsDigit(r) }

// Columns resolves a property name or path ("city", "customers/region") in an expression to
// its semantic name; the error (an *Error) says why a name does not resolve.
type Columns func(name string) (string, error)

type parser struct {
	toks []token
	i    int
	cols Columns
	// depth bounds nesting, so a hostile URL cannot exhaust the stack.
	depth int
}

const maxDepth = 64

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) keyword(words ...string) (string, bool) {
	t := p.peek()
	if t.kind != tokIdent {
		return "", false
	}
	for _, w := range words {
		if t.text == w {
			p.i++
			return w, true
		}
	}
	return "", false
}

func (p *parser) expect(k tokKind, what string) error {
	t := p.next()
	if t.kind != k {
		return badf("expected %s at position %d", what, t.pos+1)
	}
	return nil
}

// ParseFilter parses a boolean expression ($filter, or filter() in $apply).
func ParseFilter(s string, cols Columns) (semantic.Expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, cols: cols}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, badf("unexpected %q at position %d", t.text, t.pos+1)
	}
	return e, nil
}

func (p *parser) or() (semantic.Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, badf("expression nests deeper than %d", maxDepth)
	}
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	args := []semantic.Expr{l}
	for {
		if _, ok := p.keyword("or"); !ok {
			break
		}
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		args = append(args, r)
	}
	if len(args) == 1 {
		return l, nil
	}
	return semantic.Logic{Op: "or", Args: args}, nil
}

func (p *parser) and() (semantic.Expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	args := []semantic.Expr{l}
	for {
		if _, ok := p.keyword("and"); !ok {
			break
		}
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		args = append(args, r)
	}
	if len(args) == 1 {
		return l, nil
	}
	return semantic.Logic{Op: "and", Args: args}, nil
}

func (p *parser) not() (semantic.Expr, error) {
	if _, ok := p.keyword("not"); ok {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, badf("expression nests deeper than %d", maxDepth)
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return semantic.Not{X: x}, nil
	}
	return p.comparison()
}

var cmpOps = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

var arithmetic = map[string]bool{"add": true, "sub": true, "mul": true, "div": true, "divby": true, "mod": true, "has": true}

func (p *parser) comparison() (semantic.Expr, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tokIdent && arithmetic[t.text] {
		return nil, unsupported("operator %q is not supported in $filter", t.text)
	}
	if op, ok := p.keyword("eq", "ne", "gt", "ge", "lt", "le"); ok {
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t.kind == tokIdent && arithmetic[t.text] {
			return nil, unsupported("operator %q is not supported in $filter", t.text)
		}
		// contains(x,'a') eq false and the like.
		if lit, ok := r.(semantic.Lit); ok && lit.Value.Kind == semantic.KindBool && isBoolean(l) {
			if op == "eq" && lit.Value.Bool || op == "ne" && !lit.Value.Bool {
				return l, nil
			}
			if op == "eq" || op == "ne" {
				return semantic.Not{X: l}, nil
			}
		}
		return semantic.Cmp{Op: cmpOps[op], L: l, R: r}, nil
	}
	if _, ok := p.keyword("in"); ok {
		if err := p.expect(tokLParen, "( after in"); err != nil {
			return nil, err
		}
		var list []semantic.Expr
		for {
			e, err := p.primary()
			if err != nil {
				return nil, err
			}
			list = append(list, e)
			if p.peek().kind == tokComma {
				p.next()
				continue
			}
			break
		}
		if err := p.expect(tokRParen, ") closing in"); err != nil {
			return nil, err
		}
		return semantic.In{X: l, List: list}, nil
	}
	if !isBoolean(l) {
		return nil, badf("expected a comparison at position %d", p.peek().pos+1)
	}
	return l, nil
}

func isBoolean(e semantic.Expr) bool {
	switch e := e.(type) {
	case semantic.Match, semantic.Cmp, semantic.Logic, semantic.Not, semantic.In, semantic.IsNull:
		return true
	case semantic.Lit:
		return e.Value.Kind == semantic.KindBool
	}
	return false
}

var boolFuncs = map[string]bool{"contains": true, "startswith": true, "endswith": true}
var valueFuncs = map[string]bool{"tolower": true, "toupper": true, "year": true, "month": true, "day": true}

func (p *parser) primary() (semantic.Expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tokRParen, ")"); err != nil {
			return nil, err
		}
		return e, nil
	case tokString:
		return semantic.Lit{Value: semantic.String(t.text)}, nil
	case tokNumber:
		return semantic.Lit{Value: semantic.Number(t.text)}, nil
	case tokDate:
		d, err := time.Parse(time.DateOnly, t.text)
		if err != nil {
			return nil, badf("invalid date %q", t.text)
		}
		return semantic.Lit{Value: semantic.Date(d)}, nil
	case tokDateTime:
		ts, err := parseDateTime(t.text)
		if err != nil {
			return nil, badf("invalid date-time %q", t.text)
		}
		return semantic.Lit{Value: semantic.Timestamp(ts)}, nil
	case tokIdent:
		switch t.text {
		case "true", "false":
			return semantic.Lit{Value: semantic.Bool(t.text == "true")}, nil
		case "null":
			return semantic.Lit{Value: semantic.Value{Kind: semantic.KindNull}}, nil
		}
		if p.peek().kind == tokLParen {
			return p.call(t)
		}
		path, err := p.path(t)
		if err != nil {
			return nil, err
		}
		name, err := p.cols(path)
		if err != nil {
			return nil, err
		}
		return semantic.Col{Name: name}, nil
	case tokEOF:
		return nil, badf("unexpected end of expression")
	}
	return nil, badf("unexpected %q at position %d", t.text, t.pos+1)
}

// path reads a property path: first, then "/segment" while one follows.
func (p *parser) path(first token) (string, error) {
	path := first.text
	for p.peek().kind == tokSlash {
		p.next()
		seg := p.next()
		if seg.kind != tokIdent {
			return "", badf("expected a property name after %s/ at position %d", path, seg.pos+1)
		}
		if p.peek().kind == tokLParen {
			if seg.text == "any" || seg.text == "all" {
				return "", unsupported("lambda operator %s/%s() is not supported in $filter", path, seg.text)
			}
			return "", unsupported("%s/%s() is not supported in $filter", path, seg.text)
		}
		path += "/" + seg.text
	}
	return path, nil
}

func (p *parser) call(name token) (semantic.Expr, error) {
	fn := name.text
	if !boolFuncs[fn] && !valueFuncs[fn] {
		return nil, unsupported("function %s() is not supported in $filter", fn)
	}
	p.next() // (
	var args []semantic.Expr
	if p.peek().kind != tokRParen {
		for {
			e, err := p.primary()
			if err != nil {
				return nil, err
			}
			args = append(args, e)
			if p.peek().kind == tokComma {
				p.next()
				continue
			}
			break
		}
	}
	if err := p.expect(tokRParen, ") closing "+fn+"()"); err != nil {
		return nil, err
	}
	if boolFuncs[fn] {
		if len(args) != 2 {
			return nil, badf("%s() takes two arguments", fn)
		}
		if lit, ok := args[1].(semantic.Lit); !ok || lit.Value.Kind != semantic.KindString {
			return nil, unsupported("%s() is supported with a string literal as its second argument", fn)
		}
		return semantic.Match{X: args[0], Mode: fn, Pattern: args[1]}, nil
	}
	if len(args) != 1 {
		return nil, badf("%s() takes one argument", fn)
	}
	return semantic.Call{Fn: fn, Args: args}, nil
}

func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date-time %q", s)
}
