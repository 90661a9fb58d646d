package mysql

import (
	"math/big"
	"testing"

	"github.com/setupranali/setupranali/pgtypes"
)

func TestDecimalText(t *testing.T) {
	for _, c := range []struct {
		unscaled int64
		scale    int
		want     string
	}{{12345, 2, "123.45"}, {-5, 3, "-0.005"}, {7, 0, "7"}, {-120, 1, "-12.0"}} {
		if got := decimalText(pgtypes.Decimal{Unscaled: big.NewInt(c.unscaled), Scale: c.scale}); got != c.want {
			t.Errorf("%d e-%d: got %s, want %s", c.unscaled, c.scale, got, c.want)
		}
	}
}
