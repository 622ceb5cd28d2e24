// Package privacy writes the privacy notice every user acknowledges and the
// instance's record of processing, both generated from the configuration
// so they always state the retention periods actually applied.
package privacy

import (
	"fmt"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/config"
)

// NoticeVersion is the version of the notice's text. Raise it when the text
// changes in substance: every user is then asked to read it again.
const NoticeVersion = 1

// Notice is the privacy notice (privacy.md).
type Notice struct {
	Version    int
	Purpose    []string
	Controller string
	Contact    string
	DataHeld   []Item // per kind of user
	WhoSees    []Item // per role
	Retention  []Item
	Rights     []string
	Cookies    []Item
}

// Item is a labelled line.
type Item struct {
	Label string
	Text  string
}

func months(n int) string {
	if n == 1 {
		return "1 mois"
	}
	return fmt.Sprintf("%d mois", n)
}

func days(n int) string {
	if n == 1 {
		return "1 jour"
	}
	return fmt.Sprintf("%d jours", n)
}

func years(n int) string {
	if n == 1 {
		return "1 an"
	}
	return fmt.Sprintf("%d ans", n)
}

// NewNotice builds the notice from the configuration.
func NewNotice(c *config.Config) Notice {
	r := c.Retention
	return Notice{
		Version: NoticeVersion,
		Purpose: []string{
			"Sillage suit les acquis des élèves tout au long de leur scolarité : évaluations par compétence, fiches de situations professionnelles et documents, d'un établissement à l'autre et d'une année à l'autre.",
			"Seules les informations nominatives nécessaires à cet usage pédagogique sont enregistrées. Sillage ne contient aucune donnée sensible au sens de la CNIL (opinions politiques, religieuses, syndicales, santé…).",
			"Lorsqu'un élève change d'établissement et que les deux établissements l'ont autorisé, son dossier est transmis au nouvel établissement. L'élève est reconnu grâce à une empreinte chiffrée de son INE : l'INE lui-même n'est jamais conservé.",
		},
		Controller: c.PrivacyController,
		Contact:    c.PrivacyContact,
		DataHeld: []Item{
			{"Tous les utilisateurs", "civilité, nom, prénom, courriel, identifiant, mot de passe (chiffré, jamais lisible), identifiants importés des annuaires nationaux, date de dernière connexion"},
			{"Élèves", "en plus : classes et groupes, résultats des évaluations, fiches de situations professionnelles et fichiers joints, documents, date de naissance ; une empreinte chiffrée de l'INE (jamais l'INE)"},
			{"Enseignants", "en plus : classes, groupes et matières enseignées"},
			{"Responsables légaux", "en plus : liens de responsabilité avec les élèves, adresse postale"},
		},
		WhoSees: []Item{
			{"Élève", "ses propres résultats, fiches et documents ; jamais les données d'un autre élève"},
			{"Responsable légal", "les résultats des élèves dont il est responsable légal"},
			{"Enseignant", "les noms et résultats des élèves de ses classes et groupes, et la date de dernière connexion de ces élèves et de leurs responsables ; jamais les identifiants de connexion ni les mots de passe"},
			{"Chef d'établissement", "les noms et résultats de tous les élèves de l'établissement, la date de dernière connexion de tous les utilisateurs ; jamais les identifiants ni les mots de passe"},
			{"Administrateur de l'établissement", "toutes les données de l'établissement, y compris les identifiants de connexion et les identifiants d'annuaire, et le journal d'audit ; jamais les mots de passe"},
			{"Opérateur de l'instance", "le changement d'année, les tâches techniques, la configuration et des effectifs agrégés ; jamais le contenu des dossiers"},
		},
		Retention: []Item{
			{"Élève désactivé par un import", fmt.Sprintf("%s, puis suppression de toutes ses données (sauf transfert vers son nouvel établissement)", months(r.StudentMonths))},
			{"Accès d'un élève parti pour télécharger son dossier", months(r.DepartedAccessMonths) + " après sa désactivation"},
			{"Autres comptes désactivés (enseignants, responsables, personnels)", years(r.OtherAccountYears) + ", puis suppression lors de l'initialisation annuelle"},
			{"Éléments mis à la corbeille", "jusqu'à la purge de la corbeille du changement d'année suivant (au plus 1 an)"},
			{"Archives des classes de l'année", years(r.ArchiveYears)},
			{"Sauvegardes d'annulation du changement d'année (ce que la purge de la corbeille, la suppression des données de l'année et la suppression des comptes anciens effacent)",
				days(r.RolloverUndoDays) + " après l'étape, pour pouvoir l'annuler, puis suppression par la purge hebdomadaire"},
			{"Journal d'audit", months(r.AuditMonths) + ", en continu"},
			{"Suivi des transferts (élèves reçus, envoyés, transferts impossibles)", months(r.AuditMonths) + " après le dernier changement de chaque ligne"},
		},
		Rights: []string{
			"Droit d'accès et de portabilité : chaque élève (et chaque responsable légal pour son enfant) peut télécharger à tout moment l'ensemble de son dossier (document lisible, fichiers joints et données au format JSON).",
			"Droit de rectification : adressez-vous à l'administrateur de Sillage de votre établissement ; toute rectification est tracée.",
			"Pour toute question sur vos données, ou pour exercer vos droits, contactez " + c.PrivacyContact + ". Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).",
		},
		Cookies: []Item{
			{"Session", "cookie « sillage_session » : maintient votre connexion ; supprimé à la déconnexion et sans effet après " + sillage.FormatDuration(c.SessionIdle) + " d'inactivité"},
			{"Établissement choisi", "cookie « sillage_etablissement » : retient l'établissement choisi lorsque votre compte en a plusieurs"},
			{"Mode de connexion", "retenu uniquement lorsque plusieurs modes de connexion sont proposés (aucun cookie n'est déposé aujourd'hui)"},
			{"Connexion unique", "cookie « sillage_sso » : lorsque l'établissement propose la connexion par l'ENT, ÉduConnect ou un portail, relie la réponse du fournisseur d'identité à la connexion commencée dans ce navigateur ; supprimé à l'arrivée, 10 minutes au plus"},
			{"Temps restant", "le temps restant avant la fin de la session est affiché par la page elle-même, sans cookie"},
			{"Aucun autre cookie", "ni publicité, ni réseau social, ni mesure d'audience : aucun bandeau de consentement n'est donc nécessaire"},
		},
	}
}

// Processing is one line of the record of processing.
type Processing struct {
	Data     string `json:"donnees"`
	Why      string `json:"finalite"`
	HowLong  string `json:"duree"`
	WhoSees  string `json:"destinataires"`
	Legality string `json:"base_legale"`
}

// Register is the instance's record of processing (privacy.md, GDPR art. 30).
func Register(c *config.Config) []Processing {
	r := c.Retention
	mission := "mission d'intérêt public de l'enseignement (RGPD art. 6-1-e)"
	return []Processing{
		{"Identité et comptes des élèves (nom, prénom, date de naissance, classe, groupes, identifiant, empreinte de l'INE)", "suivi des acquis et accès des élèves à leur livret",
			fmt.Sprintf("durée de la scolarité dans l'établissement ; %s après désactivation", months(r.StudentMonths)), "l'élève, ses responsables légaux, ses enseignants, la direction, l'administrateur", mission},
		{"Évaluations, résultats par compétence, commentaires", "suivi des acquis",
			"tant que l'élève est scolarisé dans l'établissement ; transmis au nouvel établissement lors d'un transfert ; supprimés " + months(r.StudentMonths) + " après désactivation", "l'élève, ses responsables légaux, ses enseignants, la direction, l'administrateur", mission},
		{"Fiches de situations professionnelles et fichiers joints", "passeport professionnel de l'élève (bac pro, BEP)",
			"comme les évaluations", "l'élève, ses enseignants, la direction, l'administrateur", mission},
		{"Comptes des responsables légaux (identité, adresse postale, liens)", "accès des familles aux résultats",
			years(r.OtherAccountYears) + " après désactivation", "le responsable, l'administrateur", mission},
		{"Comptes des personnels (identité, services, classes)", "saisie des évaluations, administration",
			years(r.OtherAccountYears) + " après désactivation", "l'administrateur, la direction", mission},
		{"Livret scolaire (bilans périodiques et de fin de cycle)", "transmission à l'application nationale LSU",
			"année scolaire, puis archives de classe " + years(r.ArchiveYears), "enseignants, direction, administrateur, application LSU", "obligation légale (RGPD art. 6-1-c)"},
		{"Archives de classe de l'année", "conservation du dossier de l'année", years(r.ArchiveYears), "direction, administrateur", mission},
		{"Sauvegardes d'annulation du changement d'année (copie des éléments de la corbeille, des données de l'année et des comptes anciens supprimés, avec leurs fichiers)",
			"annulation d'une étape du changement d'année lancée par erreur", days(r.RolloverUndoDays) + " après l'étape",
			"aucune personne : restaurées seulement par l'opérateur de l'instance", mission},
		{"Journal d'audit (actions sensibles)", "sécurité et traçabilité", months(r.AuditMonths), "administrateur de l'établissement, opérateur de l'instance", "obligation de sécurité (RGPD art. 32)"},
		{"Suivi des transferts (nom de l'élève à l'arrivée, initiales au départ, date, cause, nombres transférés)", "suivi des transferts par les deux établissements",
			months(r.AuditMonths) + " après le dernier changement", "direction, administrateur des deux établissements", mission},
		{"Index des élèves désactivés (empreinte de l'INE, établissement d'origine, diplôme)", "transfert du dossier vers le nouvel établissement",
			months(r.StudentMonths), "aucune personne : utilisé par le moteur de transfert", mission},
	}
}
