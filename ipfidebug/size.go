package ipfidebug

import (
	"fmt"
	"strconv"
)

// sizeUnits are the binary units formatSize uses above 1 KiB.
var sizeUnits = [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// formatSize formats a byte count for people: under 1 KiB in bytes ("512
// B"), otherwise in the largest binary unit that leaves at least 1, with
// one decimal ("12.3 KiB", "1.0 GiB"; 1023.95 KiB and more is "1.0 MiB",
// never "1024.0 KiB"). A negative count, which no wire reports, is printed
// in bytes.
func formatSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1023.95 && i < len(sizeUnits)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, sizeUnits[i])
}
