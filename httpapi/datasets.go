package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/sqlerr"
)

type dimensionInfo struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

type metricInfo struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	Type        string `json:"type"`
	Format      string `json:"format,omitempty"`
	Aggregation string `json:"aggregation,omitempty"`
	Description string `json:"description,omitempty"`
}

type datasetInfo struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Tags        []string         `json:"tags,omitempty"`
	Dimensions  []dimensionInfo  `json:"dimensions"`
	Metrics     []metricInfo     `json:"metrics"`
	Incremental *incrementalInfo `json:"incremental,omitempty"`
}

type incrementalInfo struct {
	Column        string `json:"column"`
	MaxWindowDays int    `json:"maxWindowDays,omitempty"`
}

func describeDataset(ds *catalog.Dataset) datasetInfo {
	di := datasetInfo{ID: ds.ID, Name: ds.Name, Description: ds.Description, Tags: ds.Tags,
		Dimensions: []dimensionInfo{}, Metrics: []metricInfo{}}
	for _, d := range ds.Dimensions {
		di.Dimensions = append(di.Dimensions, dimensionInfo{Name: d.Name, Label: d.Label, Type: string(d.Type), Description: d.Description})
	}
	for _, m := range ds.Metrics {
		agg := string(m.Expression.Agg)
		if m.Derived() {
			agg = "derived"
		}
		di.Metrics = append(di.Metrics, metricInfo{Name: m.Name, Label: m.Label, Type: string(m.ReturnType), Format: m.Format, Aggregation: agg, Description: m.Description})
	}
	if ds.Incremental.Enabled {
		if dim, err := incrementalColumn(ds); err == nil {
			di.Incremental = &incrementalInfo{Column: dim.Name, MaxWindowDays: ds.Incremental.MaxWindowDays}
		}
	}
	return di
}

// visibleDataset returns the dataset named by the route if the caller may see it.
func (s *Server) visibleDataset(w http.ResponseWriter, r *http.Request, id string) (*catalog.Dataset, bool) {
	ri := info(r)
	ri.dataset = id
	ds, ok := s.cfg.Catalog().Dataset(id)
	if !ok || !ri.principal.InScope(ds.ID) {
		s.writeQueryError(w, r, sqlerr.New(sqlerr.UndefinedTable, "dataset %q does not exist", id))
		return nil, false
	}
	return ds, true
}

func (s *Server) datasets(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	p := info(r).principal
	out := []datasetInfo{}
	for _, ds := range s.cfg.Catalog().Datasets {
		if p.InScope(ds.ID) {
			out = append(out, describeDataset(ds))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"datasets": out})
}

func (s *Server) dataset(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	ds, ok := s.visibleDataset(w, r, ps.ByName("id"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, describeDataset(ds))
}

type schemaColumn struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Type     string `json:"type"`
	Label    string `json:"label,omitempty"`
	Nullable bool   `json:"nullable"`
}

func (s *Server) datasetSchema(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	ds, ok := s.visibleDataset(w, r, ps.ByName("id"))
	if !ok {
		return
	}
	cols := []schemaColumn{}
	for _, c := range ds.Columns() {
		if c.Kind == catalog.KindDimension {
			cols = append(cols, schemaColumn{Name: c.Dimension.Name, Kind: "dimension", Type: string(c.Dimension.Type), Label: c.Dimension.Label, Nullable: true})
		} else {
			cols = append(cols, schemaColumn{Name: c.Metric.Name, Kind: "metric", Type: string(c.Metric.ReturnType), Label: c.Metric.Label, Nullable: true})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dataset": ds.ID, "columns": cols})
}
