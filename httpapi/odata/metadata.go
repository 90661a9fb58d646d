package odata

import (
	"encoding/json"
	"encoding/xml"
	"strings"

	"github.com/setupranali/setupranali/catalog"
)

// Namespace is the CSDL schema namespace of the entity types.
const Namespace = "SetuPranali"

// EdmType maps a catalog type to its EDM primitive type.
func EdmType(t catalog.FieldType) string {
	switch t {
	case catalog.TypeInt32:
		return "Edm.Int32"
	case catalog.TypeInt64:
		return "Edm.Int64"
	case catalog.TypeDouble:
		return "Edm.Double"
	case catalog.TypeDecimal:
		return "Edm.Decimal"
	case catalog.TypeBoolean:
		return "Edm.Boolean"
	case catalog.TypeDate:
		return "Edm.Date"
	case catalog.TypeTimestamp, catalog.TypeTimestampTZ:
		return "Edm.DateTimeOffset"
	}
	return "Edm.String"
}

type annotation struct {
	Term   string `xml:"Term,attr"`
	String string `xml:"String,attr"`
}

type property struct {
	Name        string       `xml:"Name,attr"`
	Type        string       `xml:"Type,attr"`
	Nullable    string       `xml:"Nullable,attr"`
	Annotations []annotation `xml:"Annotation"`
}

type propertyRef struct {
	Name string `xml:"Name,attr"`
}

// navigationProperty is a single-valued navigation property. It carries no Partner (the way
// back is one-to-many, which is no navigation property here) and no ReferentialConstraint: a
// constraint pairs a property of this type with a property of the target's that holds the
// same value, and the target's only key is its synthetic entity key (KeyProperty), a JSON array
// of the dimension values a request selected, which no property of this type holds.
type navigationProperty struct {
	Name        string       `xml:"Name,attr"`
	Type        string       `xml:"Type,attr"`
	Nullable    string       `xml:"Nullable,attr"`
	Annotations []annotation `xml:"Annotation"`
}

type entityType struct {
	Name        string               `xml:"Name,attr"`
	Key         []propertyRef        `xml:"Key>PropertyRef"`
	Properties  []property           `xml:"Property"`
	Navigations []navigationProperty `xml:"NavigationProperty"`
	Annotations []annotation         `xml:"Annotation"`
}

// navigationBinding names the entity set a navigation property's entities belong to.
type navigationBinding struct {
	Path   string `xml:"Path,attr"`
	Target string `xml:"Target,attr"`
}

type entitySet struct {
	Name       string              `xml:"Name,attr"`
	EntityType string              `xml:"EntityType,attr"`
	Bindings   []navigationBinding `xml:"NavigationPropertyBinding"`
}

type schema struct {
	XMLName   xml.Name     `xml:"Schema"`
	Xmlns     string       `xml:"xmlns,attr"`
	Namespace string       `xml:"Namespace,attr"`
	Types     []entityType `xml:"EntityType"`
	Container struct {
		Name string      `xml:"Name,attr"`
		Sets []entitySet `xml:"EntitySet"`
	} `xml:"EntityContainer"`
}

type include struct {
	Namespace string `xml:"Namespace,attr"`
	Alias     string `xml:"Alias,attr"`
}

type reference struct {
	URI     string  `xml:"Uri,attr"`
	Include include `xml:"edmx:Include"`
}

type edmx struct {
	XMLName    xml.Name    `xml:"edmx:Edmx"`
	XmlnsEdmx  string      `xml:"xmlns:edmx,attr"`
	Version    string      `xml:"Version,attr"`
	References []reference `xml:"edmx:Reference"`
	Schema     schema      `xml:"edmx:DataServices>Schema"`
}

// KeyProperty is the name of a dataset's entity key: a synthetic property, not a dimension.
// An entity is one combination of dimension values, and any dimension may hold NULL (a row
// without a city is still a row), while OData requires key properties to be non-nullable and
// its clients (Power BI, Excel) expect every entity type in an entity set to have a key. So
// the key is a property of its own, "_key" (with more leading underscores should a column
// already be named so), whose value encodes the entity's dimension values and is never null.
func KeyProperty(ds *catalog.Dataset) string {
	name := "_key"
	for {
		if _, taken := ds.Column(name); !taken {
			return name
		}
		name = "_" + name
	}
}

func labels(label, description string) []annotation {
	var out []annotation
	if label != "" {
		out = append(out, annotation{Term: "Core.Description", String: label})
	}
	if description != "" {
		out = append(out, annotation{Term: "Core.LongDescription", String: description})
	}
	return out
}

// Metadata is the CSDL XML document of the model's datasets: an entity type and an entity set
// each, with its navigation properties (Model.Navigations) bound to their targets' sets.
func Metadata(m *Model) []byte {
	doc := edmx{XmlnsEdmx: "http://docs.oasis-open.org/odata/ns/edmx", Version: "4.0",
		References: []reference{{
			URI:     "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml",
			Include: include{Namespace: "Org.OData.Core.V1", Alias: "Core"},
		}}}
	s := &doc.Schema
	s.Xmlns = "http://docs.oasis-open.org/odata/ns/edm"
	s.Namespace = Namespace
	s.Container.Name = "Container"
	for _, ds := range m.Datasets() {
		et := entityType{Name: ds.ID, Annotations: labels(ds.Name, ds.Description)}
		key := KeyProperty(ds)
		et.Key = []propertyRef{{Name: key}}
		et.Properties = append(et.Properties, property{Name: key, Type: "Edm.String", Nullable: "false",
			Annotations: labels("Entity key: the entity's dimension values as a JSON array", "")})
		for _, d := range ds.Dimensions {
			// The catalog does not promise a dimension is never NULL, so none is declared so.
			et.Properties = append(et.Properties, property{Name: d.Name, Type: EdmType(d.Type), Nullable: "true", Annotations: labels(d.Label, d.Description)})
		}
		for _, m := range ds.Metrics {
			et.Properties = append(et.Properties, property{Name: m.Name, Type: EdmType(m.ReturnType), Nullable: "true", Annotations: labels(m.Label, m.Description)})
		}
		set := entitySet{Name: ds.ID, EntityType: Namespace + "." + ds.ID}
		for _, n := range m.Navigations(ds) {
			// Nullable: a row whose join fields match no row of the target has no related entity.
			et.Navigations = append(et.Navigations, navigationProperty{Name: n.Name, Type: Namespace + "." + n.Target.ID, Nullable: "true",
				Annotations: labels(n.Target.Name, "")})
			set.Bindings = append(set.Bindings, navigationBinding{Path: n.Name, Target: n.Target.ID})
		}
		s.Types = append(s.Types, et)
		s.Container.Sets = append(s.Container.Sets, set)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		// Only strings and structs: marshalling cannot fail.
		panic(err)
	}
	return append([]byte(xml.Header), out...)
}

// ServiceDocument is the JSON service document listing the entity sets.
func ServiceDocument(base string, datasets []*catalog.Dataset) []byte {
	type set struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		URL  string `json:"url"`
	}
	doc := struct {
		Context string `json:"@odata.context"`
		Value   []set  `json:"value"`
	}{Context: strings.TrimSuffix(base, "/") + "/$metadata", Value: []set{}}
	for _, ds := range datasets {
		doc.Value = append(doc.Value, set{Name: ds.ID, Kind: "EntitySet", URL: ds.ID})
	}
	b, _ := json.Marshal(doc)
	return b
}
