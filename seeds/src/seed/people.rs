//! Made-up Danish people, companies and addresses, derived from the PRNG.

use super::rng::Rng;

const FIRST: &[&str] = &[
    "Anders",
    "Anne",
    "Birgitte",
    "Christian",
    "Camilla",
    "Emil",
    "Freja",
    "Frederik",
    "Hanne",
    "Henrik",
    "Ida",
    "Jakob",
    "Julie",
    "Jonas",
    "Karen",
    "Kasper",
    "Lars",
    "Laura",
    "Lene",
    "Mads",
    "Maria",
    "Mette",
    "Morten",
    "Niels",
    "Nanna",
    "Oliver",
    "Peter",
    "Pernille",
    "Rasmus",
    "Sara",
    "Simon",
    "Sofie",
    "Thomas",
    "Tina",
    "Troels",
    "Ulla",
    "Viktor",
    "Vibeke",
];
const LAST: &[&str] = &[
    "Andersen",
    "Christensen",
    "Hansen",
    "Jensen",
    "Johansen",
    "Jorgensen",
    "Kristensen",
    "Larsen",
    "Madsen",
    "Mortensen",
    "Nielsen",
    "Olsen",
    "Pedersen",
    "Petersen",
    "Poulsen",
    "Rasmussen",
    "Sorensen",
    "Thomsen",
    "Knudsen",
    "Mikkelsen",
    "Frandsen",
    "Holm",
    "Dahl",
];
const STREETS: &[&str] = &[
    "Vestergade",
    "Nørregade",
    "Søndergade",
    "Østergade",
    "Algade",
    "Strandvejen",
    "Skolevej",
    "Kirkevej",
    "Parkvej",
    "Møllevej",
    "Engvej",
    "Birkevej",
    "Bøgevej",
];
const CITIES: &[(&str, &str)] = &[
    ("8000", "Aarhus C"),
    ("8200", "Aarhus N"),
    ("8210", "Aarhus V"),
    ("8240", "Risskov"),
    ("8260", "Viby J"),
    ("8270", "Højbjerg"),
    ("8300", "Odder"),
    ("8600", "Silkeborg"),
    ("8660", "Skanderborg"),
    ("7100", "Vejle"),
    ("2100", "København Ø"),
    ("5000", "Odense C"),
];
const COMPANY_SUFFIX: &[&str] = &["ApS", "A/S", "I/S", "& Co", "Ejendomme", "Service"];
const DOMAINS: &[&str] = &[
    "example.dk",
    "example.com",
    "example.net",
    "mail.example.dk",
];

/// A person with contact data.
#[derive(Clone, Debug)]
pub struct Person {
    pub first: String,
    pub last: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub postal_code: String,
}

impl Person {
    pub fn name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

fn ascii(s: &str) -> String {
    s.to_lowercase()
        .replace('æ', "ae")
        .replace('ø', "oe")
        .replace('å', "aa")
}

/// A person drawn from `r`; the email is made unique by `tag` and `index`.
pub fn person(r: &mut Rng, tag: &str, index: u64, domain: Option<&str>) -> Person {
    let first = (*r.pick(FIRST)).to_owned();
    let last = (*r.pick(LAST)).to_owned();
    let domain = domain.map_or_else(|| (*r.pick(DOMAINS)).to_owned(), str::to_owned);
    let email = format!("{}.{}.{tag}{index}@{domain}", ascii(&first), ascii(&last));
    let phone = format!("+45 {:08}", 20_000_000 + r.below(79_999_999));
    let (postal_code, city) = *r.pick(CITIES);
    let address = format!(
        "{} {}, {postal_code} {city}",
        r.pick(STREETS),
        r.range(1, 180)
    );
    Person {
        first,
        last,
        email,
        phone,
        address,
        city: city.to_owned(),
        postal_code: postal_code.to_owned(),
    }
}

/// A company name drawn from `r`.
pub fn company(r: &mut Rng) -> String {
    format!("{} {}", r.pick(LAST), r.pick(COMPANY_SUFFIX))
}

/// Some Danish-looking words for document text.
pub fn sentence(r: &mut Rng) -> String {
    const WORDS: &[&str] = &[
        "rengøring",
        "kunde",
        "tilbud",
        "booking",
        "faktura",
        "vinduer",
        "kontor",
        "lejlighed",
        "flytning",
        "nøgle",
        "team",
        "tid",
        "pris",
        "kvadratmeter",
        "aftale",
        "opfølgning",
        "kvalitet",
        "tjekliste",
        "køkken",
        "badeværelse",
        "trappe",
        "hovedrengøring",
    ];
    let n = r.range(6, 14);
    let mut words: Vec<&str> = (0..n).map(|_| *r.pick(WORDS)).collect();
    if let Some(w) = words.first_mut() {
        *w = *r.pick(&["Aftalt", "Kunden", "Teamet", "Næste", "Husk", "Notat"]);
    }
    format!("{}.", words.join(" "))
}
