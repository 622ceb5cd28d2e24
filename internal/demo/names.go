package demo

// Built-in name lists: common French first names and surnames, combined at
// random. No real person is described: every combination, birth date and
// identifier is synthetic.

var firstNames = []string{
	"Léa", "Emma", "Chloé", "Manon", "Camille", "Inès", "Jade", "Louise", "Zoé", "Lina",
	"Sarah", "Clara", "Anaïs", "Maëlys", "Océane", "Lucie", "Julie", "Eva", "Romane", "Mathilde",
	"Nour", "Yasmine", "Salomé", "Margaux", "Elsa", "Noémie", "Agathe", "Lou", "Capucine", "Héloïse",
	"Lucas", "Hugo", "Nathan", "Enzo", "Louis", "Gabriel", "Jules", "Tom", "Théo", "Arthur",
	"Raphaël", "Mathis", "Noah", "Adam", "Maël", "Ethan", "Rayan", "Sacha", "Timéo", "Kylian",
	"Yanis", "Mohamed", "Axel", "Baptiste", "Clément", "Maxime", "Antoine", "Quentin", "Dylan", "Kevin",
	"Bastien", "Loïc", "Jérémy", "Mehdi", "Samuel", "Noé", "Évan", "Aurélien", "Corentin", "Éloïse",
}

var lastNames = []string{
	"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
	"Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
	"Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André",
	"Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
	"Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
	"Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
	"Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
	"Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
	"Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
	"Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
	"Œuvray", "Le Goff", "N'Diaye", "Da Silva", "Nguyen", "Benali", "Haddad", "Kone", "Traoré", "Diallo",
}

var schoolNames = []string{
	"Lycée professionnel Marie Curie", "Lycée professionnel Jean Jaurès", "Lycée des métiers Gustave Eiffel",
	"Lycée professionnel Louise Michel", "Lycée professionnel Victor Hugo", "Lycée des métiers Paul Langevin",
	"Lycée professionnel Simone Veil", "Lycée professionnel Jules Verne", "Lycée des métiers Olympe de Gouges",
	"Lycée professionnel Jean Moulin", "Lycée professionnel George Sand", "Lycée des métiers Nelson Mandela",
}

var towns = []string{"Poitiers", "Niort", "Châtellerault", "La Rochelle", "Angoulême", "Cognac", "Saintes", "Rochefort",
	"Bressuire", "Parthenay", "Loudun", "Royan", "Jonzac", "Thouars", "Montmorillon", "Confolens"}
