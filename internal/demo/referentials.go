package demo

import "github.com/sillage/sillage"

// diploma is one of the two bac pro diplomas of the demo academy. Codes and
// labels are written for the demonstration; they follow the shape of the
// national ones (MEF: 3-character scheme, 5-character speciality, duration,
// year, status).
type diploma struct {
	Spec     string // 5-digit speciality
	Short    string // division prefix
	Label    string
	Domains  []domain
	Sheets   []string // titles of typical professional situations
	Subjects []string
}

type domain struct {
	Name        string
	Competences [][2]string // code, label
}

const bacProScheme = "247"

// mef returns the MEF code of year y (1..3) of the diploma.
func (d diploma) mef(y int) string { return bacProScheme + d.Spec + "3" + string(rune('0'+y)) + "0" }

// code is the diploma part of the MEF codes (sillage.DiplomaOfMEF).
func (d diploma) code() string { return sillage.DiplomaOfMEF(d.mef(1)) }

var diplomas = []diploma{
	{
		Spec: "25510", Short: "MELEC", Label: "Bac pro Métiers de l'électricité et de ses environnements connectés",
		Domains: []domain{
			{"Préparer une opération", [][2]string{
				{"C1", "Analyser les conditions de l'opération et son contexte"},
				{"C2", "Organiser l'opération dans son contexte"},
				{"C3", "Définir une installation à l'aide de solutions préétablies"},
			}},
			{"Réaliser une installation", [][2]string{
				{"C4", "Réaliser une installation de manière éco-responsable"},
				{"C5", "Contrôler les grandeurs caractéristiques de l'installation"},
				{"C6", "Régler, paramétrer les matériels de l'installation"},
			}},
			{"Livrer et maintenir", [][2]string{
				{"C7", "Valider le fonctionnement de l'installation"},
				{"C8", "Diagnostiquer un dysfonctionnement"},
				{"C9", "Remplacer un matériel électrique"},
				{"C10", "Exploiter les outils numériques dans le contexte professionnel"},
			}},
			{"Communiquer", [][2]string{
				{"C11", "Compléter les documents liés aux opérations"},
				{"C12", "Communiquer entre professionnels sur l'opération"},
				{"C13", "Communiquer avec le client ou l'usager sur l'opération"},
			}},
		},
		Sheets:   []string{"Installation d'un tableau de répartition", "Mise en service d'une borne de recharge", "Dépannage d'un circuit d'éclairage", "Câblage d'un réseau domestique"},
		Subjects: []string{"Enseignement professionnel", "Prévention santé environnement", "Économie-gestion"},
	},
	{
		Spec: "25214", Short: "MCV", Label: "Bac pro Métiers du commerce et de la vente",
		Domains: []domain{
			{"Conseiller et vendre", [][2]string{
				{"B1.1", "Assurer la veille commerciale"},
				{"B1.2", "Réaliser la vente dans un cadre omnicanal"},
				{"B1.3", "Assurer l'exécution de la vente"},
			}},
			{"Suivre les ventes", [][2]string{
				{"B2.1", "Assurer le suivi de la commande du produit ou du service"},
				{"B2.2", "Traiter les retours et les réclamations du client"},
				{"B2.3", "S'assurer de la satisfaction du client"},
			}},
			{"Fidéliser la clientèle", [][2]string{
				{"B3.1", "Traiter et exploiter l'information ou le contact client"},
				{"B3.2", "Contribuer à des actions de fidélisation"},
				{"B3.3", "Évaluer les actions de fidélisation"},
			}},
		},
		Sheets:   []string{"Vente conseil en magasin", "Traitement d'une réclamation client", "Animation d'une opération promotionnelle", "Réception et mise en rayon"},
		Subjects: []string{"Enseignement professionnel", "Prévention santé environnement", "Économie-droit"},
	},
}

func (d diploma) referential() sillage.Referential {
	r := sillage.Referential{Diploma: d.code(), Kind: sillage.ReferentialBacPro, Label: d.Label}
	for _, dom := range d.Domains {
		for _, c := range dom.Competences {
			r.Competences = append(r.Competences, sillage.Competence{Domain: dom.Name, Code: c[0], Label: c[1]})
		}
	}
	return r
}
