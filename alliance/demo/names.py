"""Invented people for the demo: French first and last names, as diverse as in French schools today.

Names are grouped by broad origin so a pupil's first name usually goes with the
family name (and the parents' names with both), while a share of the modern
names common to every group keeps the mix realistic. Every combination is
invented; any resemblance to a real person is chance.

Each list is a tuple in a fixed order: the generator draws from them with a
seeded ``random.Random``, so the same seed always gives the same people.
"""

from typing import NamedTuple


class NameGroup(NamedTuple):
    weight: int  # share of families, in percent
    last_names: tuple[str, ...]
    girls: tuple[str, ...]
    boys: tuple[str, ...]
    mothers: tuple[str, ...]
    fathers: tuple[str, ...]


# fmt: off
#: Given names of pupils born around 2008–2016, common to families of every origin.
COMMON_GIRLS = (
    "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Mila",
    "Inès", "Ambre", "Julia", "Mia", "Léna", "Manon", "Zoé", "Sarah", "Eva", "Nina",
    "Lou", "Romane", "Lola", "Clara", "Camille", "Maëlys", "Lucie", "Sofia", "Lya", "Yasmine",
    "Luna", "Elena", "Maya", "Hanna", "Iris", "Giulia", "Alya", "Assia", "Nour", "Kenza",
)
COMMON_BOYS = (
    "Gabriel", "Raphaël", "Léo", "Louis", "Lucas", "Adam", "Hugo", "Arthur", "Jules", "Nathan",
    "Ethan", "Noah", "Sacha", "Tom", "Mathis", "Théo", "Nolan", "Enzo", "Timéo", "Maël",
    "Liam", "Aaron", "Eden", "Axel", "Rayan", "Yanis", "Ilyes", "Kylian", "Mattéo", "Ibrahim",
    "Elias", "Ayden", "Noam", "Ilan", "Isaac", "Naël", "Kaïs", "Sohan", "Evan", "Ismaël",
)

GROUPS: tuple[NameGroup, ...] = (
    NameGroup(
        weight=54,
        last_names=(
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "David", "Bertrand",
            "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont",
            "Lambert", "Bonnet", "François", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
            "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
            "Clément", "Gauthier", "Dumont", "Fontaine", "Chevalier", "Robin", "Masson", "Gérard",
            "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Roger", "Roche", "Roy", "Noël",
            "Meyer", "Lucas", "Meunier", "Marchand", "Dufour", "Blanchard", "Barbier", "Brun",
            "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Renard", "Arnaud", "Rolland",
            "Caron", "Aubert", "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine",
            "Picard", "Gaillard", "Philippe", "Lacroix", "Fabre", "Dupuis", "Olivier", "Hubert",
            "Guillot", "Rivière", "Le Gall", "Guillaume", "Moulin", "Berger", "Lecomte", "Ménard",
            "Fleury", "Deschamps", "Carpentier", "Julien", "Benoît", "Maillard", "Marchal",
            "Aubry", "Vasseur", "Le Roux", "Renault", "Jacquet", "Collet", "Prévost", "Poirier",
            "Charpentier", "Royer", "Huet", "Baron", "Dupuy", "Pons", "Carré", "Breton", "Rémy",
            "Le Goff", "Le Bihan", "Guillou", "Morvan", "Tanguy", "Kerboriou", "Hoarau", "Payet",
            "Grondin", "Jean-Baptiste", "Étienne", "Courtois", "Lebrun", "Besson", "Chauvin",
        ),
        girls=(
            "Louise", "Alice", "Chloé", "Juliette", "Jeanne", "Agathe", "Margaux", "Mathilde",
            "Charlotte", "Adèle", "Capucine", "Apolline", "Héloïse", "Clémence", "Océane",
            "Anaïs", "Maëlle", "Elsa", "Lilou", "Salomé", "Pauline", "Justine", "Marion",
            "Constance", "Victoire", "Gabrielle", "Albane", "Clarisse", "Lison", "Noémie",
        ),
        boys=(
            "Louis", "Jules", "Arthur", "Paul", "Victor", "Baptiste", "Clément", "Antoine",
            "Maxime", "Alexandre", "Valentin", "Thomas", "Romain", "Quentin", "Adrien", "Martin",
            "Gaspard", "Augustin", "Côme", "Basile", "Marius", "Tristan", "Corentin", "Erwan",
            "Titouan", "Killian", "Dylan", "Kévin", "Loïc", "Mathéo",
        ),
        mothers=(
            "Nathalie", "Sandrine", "Céline", "Stéphanie", "Aurélie", "Sophie", "Virginie",
            "Karine", "Émilie", "Julie", "Caroline", "Delphine", "Isabelle", "Valérie", "Laetitia",
            "Élodie", "Audrey", "Christelle", "Mélanie", "Séverine", "Anne", "Claire", "Marie",
            "Vanessa", "Cécile",
        ),
        fathers=(
            "Nicolas", "Sébastien", "Julien", "Christophe", "Stéphane", "Frédéric", "David",
            "Olivier", "Jérôme", "Laurent", "Guillaume", "Cédric", "Mickaël", "Vincent",
            "Thierry", "Philippe", "Fabien", "Arnaud", "Grégory", "Benoît", "Franck", "Yannick",
            "Ludovic", "Damien", "Pascal",
        ),
    ),
    NameGroup(
        weight=17,
        last_names=(
            "Benali", "Benaïssa", "Haddad", "Belkacem", "Bouzid", "Mansouri", "Cherif", "Amrani",
            "Hamidi", "Benmoussa", "Saïdi", "Ziani", "Brahimi", "Boukhari", "El Amrani",
            "Aït Ahmed", "Khelifi", "Meziane", "Rahmani", "Bensaïd", "Chaouch", "Djebbar",
            "Ferhat", "Guendouz", "Hamdi", "Kaci", "Lahlou", "Mekki", "Naceri", "Ouali",
            "Rezgui", "Slimani", "Tahri", "Yahiaoui", "Zerrouki", "Bouchareb", "El Idrissi",
            "Benchikh", "Hadjadj", "Larbi", "Messaoudi", "Ouahab", "Taleb", "Belhadj", "Trabelsi",
        ),
        girls=(
            "Inès", "Yasmine", "Lina", "Sarah", "Maryam", "Aya", "Nour", "Imane", "Rania",
            "Maïssa", "Kenza", "Amira", "Malak", "Sirine", "Aïcha", "Salma", "Lyna", "Hiba",
            "Meriem", "Nesrine", "Assia", "Ilhem", "Djena", "Wafa", "Chaïma",
        ),
        boys=(
            "Mohamed", "Adam", "Rayan", "Yanis", "Ilyes", "Bilal", "Amine", "Ayoub", "Younes",
            "Wassim", "Yassine", "Mehdi", "Hamza", "Anis", "Sofiane", "Nassim", "Walid", "Idris",
            "Ryad", "Samy", "Zakaria", "Malik", "Karim", "Ismaïl", "Souhaïl",
        ),
        mothers=(
            "Fatima", "Samia", "Nadia", "Malika", "Khadija", "Leïla", "Karima", "Naïma", "Saïda",
            "Houria", "Djamila", "Farida", "Souad", "Amel", "Nawel", "Sabrina", "Hanane", "Zohra",
        ),
        fathers=(
            "Karim", "Mohamed", "Rachid", "Samir", "Mourad", "Nordine", "Farid", "Abdel",
            "Kamel", "Youssef", "Mustapha", "Hakim", "Said", "Djamel", "Nabil", "Redouane",
            "Brahim", "Ahmed",
        ),
    ),
    NameGroup(
        weight=10,
        last_names=(
            "Traoré", "Diallo", "Koné", "Camara", "Diop", "Ndiaye", "Sylla", "Cissé", "Touré",
            "Keïta", "Sow", "Ba", "Fofana", "Coulibaly", "Diarra", "Bamba", "Kouassi", "Nguema",
            "Mendy", "Gomis", "Sissoko", "Konaté", "Dembélé", "Sangaré", "Doumbia", "Kanté",
            "Mbemba", "Nkounkou", "Tshibangu", "Ekwalla", "Ngando", "Yao", "Kamara", "Baldé",
            "Barry", "Soumaré",
        ),
        girls=(
            "Fatoumata", "Aminata", "Kadiatou", "Awa", "Mariam", "Hawa", "Oumou", "Djeneba",
            "Binta", "Aïssatou", "Ramatoulaye", "Maïmouna", "Grâce", "Merveille", "Christelle",
            "Fanta", "Nafissatou", "Coumba", "Astou", "Divine",
        ),
        boys=(
            "Moussa", "Mamadou", "Souleymane", "Issa", "Djibril", "Ibrahima", "Oumar", "Seydou",
            "Boubacar", "Abdoulaye", "Cheick", "Lassana", "Samba", "Yacouba", "Ousmane",
            "Kelyan", "Exaucé", "Josué", "Bakary", "Modibo",
        ),
        mothers=(
            "Aminata", "Fatoumata", "Mariama", "Kadiatou", "Awa", "Assa", "Rokia", "Nafi",
            "Bintou", "Clarisse", "Prisca", "Solange", "Djénéba", "Coumba",
        ),
        fathers=(
            "Mamadou", "Moussa", "Ibrahima", "Seydou", "Boubacar", "Abdoulaye", "Sékou",
            "Lamine", "Oumar", "Adama", "Jean-Pierre", "Serge", "Alassane", "Bakary",
        ),
    ),
    NameGroup(
        weight=8,
        last_names=(
            "Da Silva", "Pereira", "Ferreira", "Santos", "Rodrigues", "Oliveira", "Gomes",
            "Alves", "Lopes", "Marques", "Costa", "Ribeiro", "Pinto", "Carvalho", "Teixeira",
            "Moreira", "Sousa", "Fernandes", "Garcia", "Martinez", "Lopez", "Sanchez", "Perez",
            "Gonzalez", "Fernandez", "Rodriguez", "Rossi", "Russo", "Ferrari", "Bianchi",
            "Romano", "Esposito", "Marchetti", "Da Costa",
        ),
        girls=(
            "Inês", "Beatriz", "Mariana", "Lara", "Carolina", "Lucia", "Elena", "Paula",
            "Carla", "Sofia", "Giulia", "Chiara", "Alba", "Luana", "Bianca",
        ),
        boys=(
            "Tiago", "Rafael", "Diego", "Lorenzo", "Mateo", "Enzo", "Hugo", "Gabriel", "Rodrigo",
            "Nuno", "Luca", "Pablo", "Alessio", "Daniel", "Bruno",
        ),
        mothers=(
            "Maria", "Ana", "Paula", "Sandra", "Cristina", "Carla", "Patricia", "Rosa",
            "Teresa", "Silvia", "Laura", "Francesca",
        ),
        fathers=(
            "José", "Paulo", "Manuel", "Carlos", "Antonio", "Rui", "Luis", "Miguel", "Pedro",
            "Francisco", "Marco", "Giuseppe",
        ),
    ),
    NameGroup(
        weight=4,
        last_names=(
            "Yılmaz", "Kaya", "Demir", "Çelik", "Şahin", "Öztürk", "Aydın", "Arslan", "Doğan",
            "Koç", "Kurt", "Polat", "Erdoğan", "Aksoy", "Güneş",
        ),
        girls=("Elif", "Zeynep", "Ecrin", "Defne", "Azra", "Meryem", "Eylül", "Ela", "Melis"),
        boys=("Emre", "Yusuf", "Mert", "Eren", "Kerem", "Ömer", "Efe", "Baran", "Arda"),
        mothers=("Ayşe", "Fatma", "Emine", "Hatice", "Zeynep", "Özlem", "Derya"),
        fathers=("Mehmet", "Mustafa", "Ali", "Hasan", "Hüseyin", "Murat", "Serkan"),
    ),
    NameGroup(
        weight=4,
        last_names=(
            "Nguyen", "Tran", "Le", "Pham", "Vo", "Dang", "Huynh", "Phan", "Chen", "Wang",
            "Zhang", "Li", "Liu", "Huang", "Lin", "Chhim", "Sok", "Keo", "Vong", "Sayavong",
        ),
        girls=("Linh", "Mai", "Lan", "Thi", "Yuna", "Kim", "Chloé", "Emma", "Lisa", "Jasmine"),
        boys=("Minh", "Duc", "Long", "Kevin", "Bao", "Hao", "Ryan", "Nathan", "Tony", "Kenzo"),
        mothers=("Hoa", "Lan", "Mai", "Thu", "Mei", "Li", "Sophie", "Sokha"),
        fathers=("Minh", "Tuan", "Hung", "Wei", "Jun", "Dara", "Michel", "Thierry"),
    ),
    NameGroup(
        weight=3,
        last_names=(
            "Kowalski", "Nowak", "Wiśniewski", "Popescu", "Ionescu", "Popa", "Constantin",
            "Petrović", "Jovanović", "Kovalenko", "Shevchenko", "Ivanova", "Dimitrov",
            "Horvat", "Novák",
        ),
        girls=("Maria", "Ioana", "Anastasia", "Daria", "Zofia", "Alexandra", "Milena", "Sofiia"),
        boys=("Andrei", "Mihai", "Luka", "Jakub", "Nikola", "Maksym", "David", "Stefan"),
        mothers=("Elena", "Ana", "Natalia", "Irina", "Agnieszka", "Olena", "Mihaela"),
        fathers=("Ion", "Andrei", "Piotr", "Marko", "Oleksandr", "Dmitri", "Vasile"),
    ),
)

#: Street names for invented addresses; the towns and postcodes are invented too.
STREETS = (
    "rue des Lilas", "avenue Jean-Jaurès", "rue Victor-Hugo", "allée des Tilleuls",
    "place de la République", "impasse des Vignes", "boulevard Gambetta", "rue Pasteur",
    "chemin du Moulin", "rue de la Paix", "avenue de la Libération", "rue des Écoles",
    "rue du Stade", "allée des Peupliers", "rue Jules-Ferry", "rue Émile-Zola",
    "rue de la Gare", "avenue des Marronniers", "rue Louise-Michel", "rue Olympe-de-Gouges",
    "square des Érables", "rue du Onze-Novembre", "rue des Acacias", "cours Aimé-Césaire",
    "rue Simone-Veil", "rue Marie-Curie", "avenue du Général-Leclerc", "rue des Jardins",
)
RESIDENCES = (
    "Résidence Les Érables", "Résidence Le Parc", "Cité des Fleurs", "Résidence Les Hauts-Prés",
    "Résidence Bellevue", "Les Terrasses du Val",
)
#: (postcode, town): invented, with 99xxx postcodes that no French town uses.
TOWNS = (
    ("99100", "Villeneuve-les-Alliances"),
    ("99110", "Saint-Aubin-du-Val"),
    ("99120", "Les Trois-Chênes"),
    ("99130", "Bourg-la-Rivière"),
)

#: Given names of grandparents (born around 1945–1965), for the extra contacts.
GRANDPARENTS = (
    "Monique", "Michèle", "Jacqueline", "Françoise", "Martine", "Danielle", "Brigitte",
    "Fatiha", "Zohra", "Maria", "Aminata", "Josiane", "Bernard", "Gérard", "Jean-Claude",
    "Alain", "Patrick", "Michel", "Ahmed", "Mohamed", "Manuel", "Mamadou", "Daniel", "René",
)
# fmt: on
