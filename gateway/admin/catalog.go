package admin

import (
	"fmt"
	"io"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/gateway"
)

// ValidateCatalog loads the catalog file path as a gateway would and says what it holds. Its
// error lists every problem of the file.
func ValidateCatalog(stdout io.Writer, path string) error {
	cat, err := catalog.LoadFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (%d datasets, version %s)\n", path, len(cat.Datasets), gateway.ShortVersion(cat.Version()))
	return nil
}
