package web

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/sillage/sillage/internal/auth"
)

// apiMe answers who the token (or session) acts as: the first call a
// script makes to check its token.
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, req *Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{
		"etablissement": req.P.UAI,
		"nom":           req.Establish.Name,
		"role":          req.P.Role,
		"personne":      req.P.PersonID,
		"jeton":         req.P.APIToken,
	})
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI describes the JSON API from the route table itself, so the
// document cannot drift from the routes.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, req *Request) error {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		if !rt.api || rt.path == "/api/v1/openapi.json" {
			continue
		}
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": strings.ToLower(rt.method) + strings.ReplaceAll(strings.ReplaceAll(rt.path, "/", "_"), "{", "by_"),
			"security":    []map[string][]string{{"bearer": {}}},
			"description": "Action requise : " + string(rt.action) + ". Rôles autorisés : " + rolesText(rt.action) + ".",
			"responses": map[string]any{
				"200": map[string]any{"description": "Succès", "content": map[string]any{"application/json": map[string]any{}}},
				"400": map[string]any{"description": "Demande invalide (message dans « erreur »)"},
				"401": map[string]any{"description": "Jeton absent ou invalide"},
				"403": map[string]any{"description": "Action non autorisée pour ce profil"},
				"404": map[string]any{"description": "Introuvable (ou d'un autre établissement)"},
			},
		}
		var params []map[string]any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "integer", "format": "int64"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.method == http.MethodPost || rt.method == http.MethodPut {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{}}}
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "API de Sillage",
			"version":     "1",
			"description": "Interface machine de Sillage. Authentification par jeton (en-tête « Authorization: Bearer JETON ») délivré par l'administrateur de l'établissement (page Comptes > Jetons d'API). Chaque jeton agit dans son établissement, avec le profil de la personne qui l'a créé ; toute donnée d'un autre établissement est « introuvable ».",
		},
		"servers":    []map[string]string{{"url": "/"}},
		"paths":      paths,
		"components": map[string]any{"securitySchemes": map[string]any{"bearer": map[string]string{"type": "http", "scheme": "bearer"}}},
	}
	return writeJSON(w, http.StatusOK, doc)
}

func rolesText(a auth.Action) string {
	var names []string
	for _, r := range auth.RolesFor(a) {
		names = append(names, r.Label())
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "aucun"
	}
	return strings.Join(names, ", ")
}
