// Package photo judges and cleans the photos attached to professional-
// situation sheets: JPEG, PNG and WebP, recognised by their content (magic
// bytes, then the header decoded), and stripped of the metadata a phone
// writes into them (EXIF with the GPS position, XMP, IPTC, comments, dates)
// without re-encoding the picture.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// Content types of the photos Sillage accepts.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
)

// MaxPixels bounds the decoded size of a photo (width × height): a small
// file that declares a huge picture is refused.
const MaxPixels = 64_000_000

// Extensions lists the file-name extensions each type may carry.
var Extensions = map[string][]string{
	TypeJPEG: {".jpg", ".jpeg"},
	TypePNG:  {".png"},
	TypeWebP: {".webp"},
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Sniff returns the photo type the first bytes announce, or "".
func Sniff(head []byte) string {
	switch {
	case len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return TypeJPEG
	case bytes.HasPrefix(head, pngSignature):
		return TypePNG
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return TypeWebP
	}
	return ""
}

// Config decodes the header of a photo of the given type.
func Config(ctype string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch ctype {
	case TypeJPEG:
		return jpeg.DecodeConfig(r)
	case TypePNG:
		return png.DecodeConfig(r)
	case TypeWebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, fmt.Errorf("photo: unknown type %q", ctype)
}

// Check decodes the header of a photo whose type Sniff gave and refuses a
// picture that is empty or larger than MaxPixels. The error is in French.
func Check(ctype string, data []byte) (image.Config, error) {
	cfg, err := Config(ctype, data)
	if err != nil {
		return cfg, errors.New("son en-tête d'image est illisible")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, errors.New("l'image n'a pas de dimensions")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return cfg, fmt.Errorf("l'image mesure %d × %d pixels, au-delà de la limite de %d mégapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	return cfg, nil
}

// Strip returns the photo without its metadata. The picture's bytes are
// copied, never re-encoded.
func Strip(ctype string, data []byte) ([]byte, error) {
	switch ctype {
	case TypeJPEG:
		return StripJPEG(data)
	case TypePNG:
		return StripPNG(data)
	case TypeWebP:
		return StripWebP(data)
	}
	return nil, fmt.Errorf("photo: unknown type %q", ctype)
}

// ErrMalformed is returned when a photo's structure cannot be walked.
var ErrMalformed = errors.New("photo: malformed structure")
