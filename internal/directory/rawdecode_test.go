package directory_test

import (
	"encoding/xml"
	"io"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
)

// rawNode is any XML element, decoded whole by encoding/xml.
type rawNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []rawNode  `xml:",any"`
}

// rawDecode is the physical limit of an import's reading: encoding/xml
// alone (no Sillage code) decodes every element named in records into a
// generic tree, the file's declared encoding honoured, and drops it. It
// returns how many it decoded.
func rawDecode(r io.Reader, records ...string) (int, error) {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") {
			return input, nil
		}
		enc, err := ianaindex.IANA.Encoding(label)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(input), nil
	}
	n := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, name := range records {
			if start.Name.Local == name {
				var node rawNode
				if err := d.DecodeElement(&node, &start); err != nil {
					return n, err
				}
				n++
				break
			}
		}
	}
}
