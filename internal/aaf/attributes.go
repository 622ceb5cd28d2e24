package aaf

// The attribute names the typed decoders and the writer use.
const (
	AttrJoin           = "ENTPersonJointure"
	AttrBirthDate      = "ENTPersonDateNaissance"
	AttrBirthName      = "ENTPersonNomPatro"
	AttrLastName       = "sn"
	AttrFirstName      = "givenName"
	AttrOtherNames     = "ENTPersonAutresPrenoms"
	AttrCivility       = "personalTitle"
	AttrEmail          = "mail"
	AttrStructures     = "ENTPersonStructRattach"
	AttrAddress        = "ENTPersonAdresse"
	AttrPostalCode     = "ENTPersonCodePostal"
	AttrCity           = "ENTPersonVille"
	AttrCountry        = "ENTPersonPays"
	AttrHomePhone      = "homePhone"
	AttrWorkPhone      = "telephoneNumber"
	AttrMobile         = "mobile"
	AttrMobileSMS      = "ENTPersonMobileSMS"
	AttrAddressPublic  = "ENTPersonAdresseDiffusion"
	AttrRelStudents    = "ENTAuxPersRelEleveEleve"
	AttrLastName1D     = "ENTPersonNom"
	AttrFirstName1D    = "ENTPersonPrenom"
	AttrCivility1D     = "ENTPersonCivilite"
	AttrEmail1D        = "ENTPersonMail"
	AttrHomePhone1D    = "ENTPersonTelPerso"
	AttrWorkPhone1D    = "ENTPersRelEleveTelPro"
	AttrMobile1D       = "ENTPersRelEleveTelMobile"
	AttrRelStudents1D  = "ENTPersRelEleveEleve"
	AttrINE            = "ENTEleveINE"
	AttrSIECLEID       = "ENTEleveStructRattachId"
	AttrRelatives      = "ENTElevePersRelEleve"
	AttrParentalAuth   = "ENTEleveAutoriteParentale"
	AttrStudentMEF     = "ENTEleveMEF"
	AttrStudentMEFName = "ENTEleveLibelleMEF"
	AttrLevel          = "ENTEleveNivFormation"
	AttrLevel1D        = "ENTEleveNiveau"
	AttrStatus         = "ENTEleveStatutEleve"
	AttrSubjectLabels  = "ENTEleveEnseignements"
	AttrSubjectCodes   = "ENTEleveCodeEnseignements"
	AttrClasses        = "ENTEleveClasses"
	AttrGroups         = "ENTEleveGroupes"
	AttrClasses1D      = "ENTPersonClasses"
	AttrGroups1D       = "ENTPersonGroupes"
	AttrClassEntries   = "ENTEleveDateEntreeClasses"
	AttrClassExits     = "ENTEleveDateSortieClasses"
	AttrFunctions      = "ENTPersonFonctions"
	AttrClassSubjects  = "ENTAuxEnsClassesMatieres"
	AttrGroupSubjects  = "ENTAuxEnsGroupesMatieres"
	AttrHeadTeacher    = "ENTAuxEnsClassesPrincipal"
	AttrStaffMEF       = "ENTAuxEnsMEF"
	AttrTeaches        = "PersEducNatPresenceDevantEleves"
	AttrIsTeacher      = "ENTPersonCategorieEnseignant"
	AttrStructJoin     = "ENTStructureJointure"
	AttrUAI            = "ENTStructureUAI"
	AttrOldUAI         = "ENTEtablissementUAI"
	AttrStructName     = "ENTStructureNomCourant"
	AttrStructType     = "ENTStructureTypeStruct"
	AttrStructTypeCode = "ENTStructureCodeTypeStruct"
	AttrContract       = "ENTEtablissementContrat"
	AttrAcademy        = "ENTServAcAcademie"
	AttrMEFJoin        = "ENTMefJointure"
	AttrMEFLabel       = "ENTLibelleMef"
	AttrMEFAttached    = "ENTMEFRattach"
	AttrMEFStat        = "ENTMEFSTAT11"
	AttrSubjectJoin    = "ENTMatJointure"
	AttrSubjectLabel   = "ENTLibelleMatiere"
)

// knownAttributes lists, per category, every attribute name a file may
// carry, in the order real files write them (the writer follows it).
//
// The names are those of entcore's mapping tables (dictionary/mapping/aaf
// and aaf1d, copied in reference/aaf/entcore-feeder-mapping) and of the
// reference samples; TestKnownAttributesMatchMappings compares them with the
// tables in place. An attribute not listed makes the parse fail, as in
// entcore (aaf-notes §1.2): a name we do not know may carry data we would
// silently drop.
var knownAttributes = map[Category][]string{
	CategoryStudent: {
		"categoriePersonne",
		AttrJoin, AttrINE, AttrSIECLEID, "ENTEleveStructureRattachIdMEN",
		AttrBirthDate, AttrBirthName, AttrLastName, AttrFirstName, AttrOtherNames, AttrCivility,
		"ENTEleveParents", "ENTElevePere", "ENTEleveMere", AttrParentalAuth,
		"ENTElevePersRelEleve1", "ENTEleveQualitePersRelEleve1", "ENTElevePersRelEleve2", "ENTEleveQualitePersRelEleve2",
		AttrRelatives,
		"ENTEleveBoursier", "ENTEleveRegime", "ENTEleveTransport",
		AttrAddress, AttrPostalCode, AttrCity, AttrCountry, "ENTEleveAdresseRel", AttrEmail, AttrHomePhone,
		AttrStatus, AttrStudentMEF, AttrStudentMEFName, AttrLevel, "ENTEleveFiliere",
		AttrSubjectLabels, AttrSubjectCodes, "ENTEleveEnseignementsEtablissementsAccueil",
		AttrStructures, "ENTEleveDateEntreeStructRattach", "ENTEleveDateSortieStructRattach",
		AttrClassEntries, AttrClassExits, AttrClasses, AttrGroups,
		// AAF 1D (primary schools, from ONDE)
		AttrLastName1D, AttrFirstName1D, AttrCivility1D, AttrEmail1D, AttrClasses1D, AttrGroups1D,
		AttrLevel1D, "ENTEleveCycle", "ENTEleveTypeClasse",
		"ENTEleveRestaurantScolaire", "ENTEleveGarderieMatin", "ENTEleveGarderieSoir", "ENTEleveEtudesSurveillees",
	},
	CategoryRelative: {
		"categoriePersonne",
		AttrJoin, AttrBirthDate, AttrBirthName, AttrLastName, AttrFirstName, AttrOtherNames, AttrCivility,
		AttrHomePhone, AttrWorkPhone, AttrAddress, AttrPostalCode, AttrCity, AttrCountry, AttrAddressPublic,
		AttrMobile, AttrEmail, AttrMobileSMS, AttrRelStudents,
		// AAF 1D
		AttrLastName1D, AttrFirstName1D, AttrCivility1D, AttrHomePhone1D, AttrWorkPhone1D, AttrEmail1D,
		AttrMobile1D, AttrRelStudents1D,
	},
	CategoryStaff: {
		"categoriePersonne",
		AttrJoin, AttrBirthDate, AttrBirthName, AttrLastName, AttrFirstName, AttrOtherNames, AttrCivility,
		AttrEmail, AttrStructures,
		"ENTAuxEnsCategoDiscipline", "ENTAuxEnsDisciplinesPoste", AttrStaffMEF, "ENTAuxEnsMatiereEnseignEtab",
		"ENTAuxEnsClasses", "ENTAuxEnsGroupes", AttrClassSubjects, AttrGroupSubjects, AttrHeadTeacher,
		"ENTEnsFonctionDir", AttrFunctions, AttrIsTeacher, AttrTeaches,
		"ENTPersonSTSId", "ENTPersonStructRattachDate", "ENTAuxEnsCategoDisciplineDate", "ENTAuxEnsMEFDate",
		"ENTAuxEnsClassesMatieresDate", "ENTAuxEnsGroupesMatieresDate", "ENTAuxEnsClassesPrincipalDate",
		"ENTPersonFonctionsDate", "ENTPersonCategorieEnseignantDate",
		// AAF 1D
		AttrLastName1D, AttrFirstName1D, AttrCivility1D, AttrEmail1D, "ENTEnsSpecialites", "ENTEnsFonctionDirDate",
	},
	CategoryStructure: {
		"categorieStructure",
		AttrStructJoin, AttrUAI, AttrOldUAI, "ENTStructureSIREN", AttrStructName, AttrStructType, AttrStructTypeCode,
		"ENTEtablissementMinistereTutelle", "ENTEtablissementCodeMinistereTutelle", AttrContract,
		"postOfficeBox", "street", "postalCode", "l", "telephoneNumber", "facsimileTelephoneNumber", "ENTStructureMailSI",
		"ENTEtablissementStructRattachFctl", "ENTEtablissementBassin", AttrAcademy, "ENTServAcCodeAcademie",
		"ENTStructureClasses", "ENTStructureGroupes",
		// AAF 1D
		"ENTEcoleMinistereTutelle", "ENTEcoleCodeMinistereTutelle", "ENTStructureBoitePostale", "ENTStructureAdresse",
		"ENTStructureCodePostal", "ENTStructureVille", "ENTStructureTelephone", "ENTStructureFax",
		"ENTEcoleSecteur", "ENTEcoleCirconscription", "ENTEcoleCommune", "ENTEcoleRPI", "ENTStructureEmail",
	},
	CategoryMEF: {
		"categorieMef",
		AttrMEFJoin, AttrMEFLabel, AttrMEFAttached, AttrMEFStat, "ENTNivFormation", "ENTFiliere",
	},
	CategorySubject: {
		"categorieMatiere",
		AttrSubjectJoin, AttrSubjectLabel, "ENTMatiereRattach",
	},
}

// attrRank gives, per category, each known attribute's position in
// knownAttributes: membership answers "is it known", the position orders
// the writer's output.
var attrRank = func() map[Category]map[string]int {
	m := make(map[Category]map[string]int, len(knownAttributes))
	for c, names := range knownAttributes {
		m[c] = make(map[string]int, len(names))
		for i, n := range names {
			m[c][n] = i
		}
	}
	return m
}()

// KnownAttribute reports whether name is an attribute of category c.
func KnownAttribute(c Category, name string) bool {
	_, ok := attrRank[c][name]
	return ok
}

// KnownAttributes returns the attribute names of category c, in file order.
func KnownAttributes(c Category) []string {
	return append([]string(nil), knownAttributes[c]...)
}

// emptyMeansClear lists the attributes for which an empty value in an
// update means "clear the field" (entcore, AAFHandler.allowEmptyUpdate);
// for every other attribute an empty value is ignored and the stored value
// kept.
var emptyMeansClear = map[string]bool{
	AttrHeadTeacher:    true,
	AttrMobile:         true,
	AttrMobileSMS:      true,
	AttrAddress:        true,
	AttrPostalCode:     true,
	AttrCity:           true,
	AttrCountry:        true,
	AttrStaffMEF:       true,
	AttrStudentMEF:     true,
	AttrStudentMEFName: true,
	AttrSubjectCodes:   true,
	AttrSubjectLabels:  true,
}

// EmptyMeansClear reports whether an empty value of the attribute name
// clears the stored value. The parser keeps empty values as "present and
// empty"; the caller decides with this rule.
func EmptyMeansClear(name string) bool { return emptyMeansClear[name] }
