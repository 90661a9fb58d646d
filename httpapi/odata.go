package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/odata"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

const odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// odataBase is the service root URL the client used: /odata or /v1/odata on this host.
func odataBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	prefix := "/odata"
	if strings.HasPrefix(r.URL.Path, "/v1/odata") {
		prefix = "/v1/odata"
	}
	return scheme + "://" + r.Host + prefix
}

// visibleDatasets are the datasets the caller may see: the only entity sets it is shown.
func visibleDatasets(cat *catalog.Catalog, p auth.Principal) []*catalog.Dataset {
	var out []*catalog.Dataset
	for _, ds := range cat.Datasets {
		if p.InScope(ds.ID) {
			out = append(out, ds)
		}
	}
	return out
}

// odataModel is the catalog as the caller sees it through OData: its entity sets, and the
// navigation properties between them.
func odataModel(cat *catalog.Catalog, p auth.Principal) *odata.Model {
	return odata.NewModel(cat, visibleDatasets(cat, p))
}

func (s *Server) odataService(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if !s.admit(w, r) {
		return
	}
	body := odata.ServiceDocument(odataBase(r), visibleDatasets(s.cfg.Catalog(), info(r).principal))
	w.Header().Set("OData-Version", "4.0")
	w.Header().Set("Content-Type", odataJSON)
	w.Write(body)
}

func (s *Server) odataDispatch(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	path := strings.Trim(ps.ByName("path"), "/")
	switch {
	case path == "":
		s.odataService(w, r, ps)
		return
	case path == "$metadata":
		if !s.admit(w, r) {
			return
		}
		w.Header().Set("OData-Version", "4.0")
		w.Header().Set("Content-Type", "application/xml;charset=utf-8")
		w.Write(odata.Metadata(odataModel(s.cfg.Catalog(), info(r).principal)))
		return
	}
	set, rest, _ := strings.Cut(path, "/")
	if i := strings.IndexByte(set, '('); i >= 0 {
		s.writeError(w, r, http.StatusNotImplemented, "not_supported", "addressing a single entity by key is not supported; use $filter", "")
		return
	}
	switch rest {
	case "":
		s.odataCollection(w, r, set)
	case "$count":
		s.odataCount(w, r, set)
	default:
		s.writeError(w, r, http.StatusNotImplemented, "not_supported", "path segment "+strconv.Quote(rest)+" is not supported", "")
	}
}

// odataDataset resolves an entity set the caller may see.
func (s *Server) odataDataset(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, set string) (*catalog.Dataset, bool) {
	ri := info(r)
	ri.dataset = set
	ds, ok := cat.Dataset(set)
	if !ok || !ri.principal.InScope(ds.ID) {
		s.writeError(w, r, http.StatusNotFound, "dataset_not_found", "entity set "+strconv.Quote(set)+" does not exist", "")
		return nil, false
	}
	return ds, true
}

// odataQuery reads the query string's options. OData puts ';' between the options inside
// parentheses ($expand=customers($select=region;$top=1)) and clients send it unencoded, while Go's
// url.ParseQuery drops any pair holding one, which would silently ignore an option; so only '&'
// separates pairs here. A malformed %-escape is an error, not a dropped pair either.
func odataQuery(raw string) (url.Values, error) {
	out := url.Values{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			return nil, &odata.Error{Message: "the query string holds a malformed %-escape; percent-encode '%' as %25 inside option values"}
		}
		out[key] = append(out[key], v)
	}
	return out, nil
}

func (s *Server) writeODataError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *odata.Error
	if errors.As(err, &oe) {
		status, code := http.StatusBadRequest, "invalid_request"
		if oe.NotImplemented {
			status, code = http.StatusNotImplemented, "not_supported"
		}
		if oe.Code != "" {
			code = oe.Code
		}
		info(r).log.Info("odata request refused", "code", code, "message", oe.Message)
		s.writeError(w, r, status, code, oe.Message, "")
		return
	}
	s.writeAnyError(w, r, err)
}

func (s *Server) odataCount(w http.ResponseWriter, r *http.Request, set string) {
	if !s.admit(w, r) {
		return
	}
	cat := s.cfg.Catalog()
	ds, ok := s.odataDataset(w, r, cat, set)
	if !ok {
		return
	}
	opts, err := odataQuery(r.URL.RawQuery)
	if err != nil {
		s.writeODataError(w, r, err)
		return
	}
	q, err := odata.CountQuery(odataModel(cat, info(r).principal), ds, opts)
	if err != nil {
		s.writeODataError(w, r, err)
		return
	}
	n, err := s.count(r.Context(), s.caller(r), q)
	if err != nil {
		s.writeODataError(w, r, err)
		return
	}
	w.Header().Set("OData-Version", "4.0")
	w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	w.Write([]byte(strconv.FormatInt(n, 10)))
}

// countSink reads the one value of a count query.
type countSink struct {
	n  int64
	ok bool
}

func (c *countSink) start([]planner.Column) error { return nil }
func (c *countSink) row(v [][]byte) error {
	if len(v) == 1 && v[0] != nil {
		c.n, c.ok = pgtypes.DecodeInt(v[0])
	}
	return nil
}

// count runs q's count query through the planner.
func (s *Server) count(ctx context.Context, caller admission.Caller, q *semantic.Query) (int64, error) {
	sink := &countSink{}
	if _, err := s.runTree(ctx, caller, semantic.BuildCount, q, sink); err != nil {
		return 0, err
	}
	if !sink.ok {
		return 0, sqlerr.Internal(errors.New("count query returned no number"))
	}
	return sink.n, nil
}

func (s *Server) odataCollection(w http.ResponseWriter, r *http.Request, set string) {
	// The $skiptoken of a nextLink we wrote lets its page through uncharged: a refresh is
	// charged once for the feed, not once per page (admission.Controller.FeedToken).
	opts, optsErr := odataQuery(r.URL.RawQuery)
	if optsErr != nil {
		opts = url.Values{} // refused below, once admitted and the set resolved
	}
	token := opts.Get("$skiptoken")
	opts.Del("$skiptoken")
	skip, _ := strconv.ParseInt(opts.Get("$skip"), 10, 64)
	feed := feedName(set, opts)
	if !s.admitFeedPage(w, r, feed, skip, token) {
		return
	}
	// One catalog snapshot for the dataset and its navigation properties, should a reload
	// swap it meanwhile.
	cat := s.cfg.Catalog()
	ds, ok := s.odataDataset(w, r, cat, set)
	if !ok {
		return
	}
	if optsErr != nil {
		s.writeODataError(w, r, optsErr)
		return
	}
	req, err := odata.ParseRequest(odataModel(cat, info(r).principal), ds, opts, int64(s.cfg.ODataPageSize))
	if err != nil {
		s.writeODataError(w, r, err)
		return
	}
	caller := s.caller(r)
	base := odataBase(r)
	sink := &odataSink{jsonObjects: jsonObjects{w: w}, max: req.PageRows, context: base + "/$metadata#" + ds.ID, shape: req.Shape}
	if req.Count {
		n, err := s.count(r.Context(), caller, req.CountQuery)
		if err != nil {
			s.writeODataError(w, r, err)
			return
		}
		sink.count = &n
	}
	rr, err := s.run(r.Context(), caller, req.Query, sink)
	if err != nil {
		if rr.started {
			abort(r, err)
		}
		s.writeODataError(w, r, err)
		return
	}
	sink.buf = append(sink.buf, ']')
	// A row past the page, or a row cap that cut the page short, means more to fetch.
	if sink.more || rr.trunc && sink.n > 0 {
		next := url.Values{}
		for k, v := range opts {
			next[k] = v
		}
		next.Set("$skip", strconv.FormatInt(req.Skip+sink.n, 10))
		if s.cfg.Admission != nil {
			next.Set("$skiptoken", s.cfg.Admission.FeedToken(caller, feed, req.Skip+sink.n))
		}
		if req.Top != nil {
			next.Set("$top", strconv.FormatInt(*req.Top-sink.n, 10))
		}
		if req.Top == nil || *req.Top-sink.n > 0 {
			link := base + "/" + ds.ID + "?" + strings.ReplaceAll(next.Encode(), "+", "%20")
			sink.buf = append(sink.buf, `,"@odata.nextLink":`...)
			sink.buf = appendString(sink.buf, link)
		}
	}
	sink.buf = append(sink.buf, "}\n"...)
	w.Write(sink.buf)
}

// odataSink streams an OData collection: context, count, then the page's rows; a row past the
// page only says that a next page exists.
type odataSink struct {
	jsonObjects
	context string
	count   *int64
	max     int64
	more    bool
	// shape makes each row an entity (odata.Request.Shape).
	shape *odata.Shape
}

func (s *odataSink) start(cols []planner.Column) error {
	s.setColumns(cols)
	h := s.w.Header()
	h.Set("OData-Version", "4.0")
	h.Set("Content-Type", odataJSON)
	s.w.WriteHeader(http.StatusOK)
	s.buf = append(s.buf, `{"@odata.context":`...)
	s.buf = appendString(s.buf, s.context)
	if s.count != nil {
		s.buf = append(s.buf, `,"@odata.count":`...)
		s.buf = strconv.AppendInt(s.buf, *s.count, 10)
	}
	s.buf = append(s.buf, `,"value":[`...)
	return nil
}

func (s *odataSink) row(vals [][]byte) error {
	if s.n >= s.max {
		s.more = true
		return nil
	}
	if s.n > 0 {
		s.buf = append(s.buf, ',')
	}
	s.n++
	s.buf = s.appendEntity(s.buf, s.shape, vals)
	if len(s.buf) > 32<<10 {
		_, err := s.w.Write(s.buf)
		s.buf = s.buf[:0]
		return err
	}
	return nil
}

// appendEntity writes the entity sh makes of a row: its key first, then its properties, a
// navigation property as its related entity's object (or null when no row is related).
func (s *odataSink) appendEntity(b []byte, sh *odata.Shape, vals [][]byte) []byte {
	b = append(b, '{')
	b = appendString(b, sh.Key)
	b = append(b, ':')
	// The key is the JSON array of the entity's dimension values, as a string: never null,
	// and distinct for distinct entities since the result is grouped by those columns.
	key := []byte{'['}
	for i, c := range sh.KeyColumns {
		if i > 0 {
			key = append(key, ',')
		}
		key = appendJSON(key, vals[c], s.cols[c].Type)
	}
	key = append(key, ']')
	b = appendString(b, string(key))
	for _, p := range sh.Props {
		b = append(b, ',')
		b = appendString(b, p.Name)
		b = append(b, ':')
		switch {
		case p.Related == nil:
			b = appendJSON(b, vals[p.Column], s.cols[p.Column].Type)
		case absent(p.Related, vals):
			b = append(b, "null"...)
		default:
			b = s.appendEntity(b, p.Related, vals)
		}
	}
	return append(b, '}')
}

// absent reports whether a related entity's row is missing: its presence columns all NULL.
func absent(sh *odata.Shape, vals [][]byte) bool {
	if len(sh.Present) == 0 {
		return false
	}
	for _, c := range sh.Present {
		if vals[c] != nil {
			return false
		}
	}
	return true
}

// feedName identifies one feed for its nextLink tokens: the entity set and its query options
// besides paging ($skip, $top and $skiptoken change from page to page).
func feedName(set string, opts url.Values) string {
	rest := url.Values{}
	for k, v := range opts {
		switch k {
		case "$skip", "$top", "$skiptoken":
			continue
		}
		rest[k] = v
	}
	return set + "?" + rest.Encode()
}
