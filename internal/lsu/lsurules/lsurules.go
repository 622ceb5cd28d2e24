// Package lsurules holds the rules of the official LSU schemas as Go
// tables (rules_gen.go, generated from the XSDs by ./gen) and the
// validators built from them, so that every LSU file is checked before it
// is offered even on an instance with no XSD on disk.
package lsurules

//go:generate go run ./gen -ref ../../../../shared/reference/lsu -out rules_gen.go

import (
	"fmt"
	"sync"

	"github.com/sillage/sillage/internal/xsd"
)

// Keys of the schema versions, "<degree>/<version>" as lsu names them.
var tables = map[string]*xsd.Schema{
	"2D/10.0": &rules2D10,
	"2D/7.0":  &rules2D7,
	"1D/1.0b": &rules1D10b,
	"1D/1.0":  &rules1D10,
}

var (
	mu         sync.Mutex
	validators = map[string]*xsd.Validator{}
)

// Validator returns the validator of a schema version ("2D/10.0",
// "1D/1.0b"…), built once.
func Validator(key string) (*xsd.Validator, error) {
	mu.Lock()
	defer mu.Unlock()
	if v, ok := validators[key]; ok {
		return v, nil
	}
	t, ok := tables[key]
	if !ok {
		return nil, fmt.Errorf("aucune règle LSU intégrée pour la version %s", key)
	}
	v, err := xsd.New(t)
	if err != nil {
		return nil, fmt.Errorf("règles LSU %s : %w", key, err)
	}
	validators[key] = v
	return v, nil
}

// Keys lists the versions with built-in rules.
func Keys() []string {
	return []string{"2D/10.0", "2D/7.0", "1D/1.0b", "1D/1.0"}
}
