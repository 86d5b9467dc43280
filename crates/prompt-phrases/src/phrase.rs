//! The fixed-key prompts of the default set (sentences and words) and the languages
//! each exists in [IVR-1, IVR-4, IVR-5, IVR-6, VM-1]. Keys are the file stems under
//! `prompts/<language>/`; shared keys are Italian words whatever the language.

use crate::Language;

const BOTH: &[Language] = &[Language::It, Language::En];
const IT: &[Language] = &[Language::It];
const EN: &[Language] = &[Language::En];

macro_rules! phrases {
    ($( $(#[$doc:meta])* $variant:ident = $key:literal in $languages:expr; )*) => {
        /// A prompt with a fixed key; the text of each is in `prompts/transcripts.tsv`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Phrase {
            $( $(#[$doc])* $variant, )*
        }

        impl Phrase {
            /// Every phrase, in declaration order.
            pub const ALL: &'static [Phrase] = &[$(Phrase::$variant),*];

            /// The file stem (`benvenuto`).
            pub fn key(self) -> &'static str {
                match self {
                    $(Phrase::$variant => $key,)*
                }
            }

            /// The languages whose default set has this prompt.
            pub fn languages(self) -> &'static [Language] {
                match self {
                    $(Phrase::$variant => $languages,)*
                }
            }
        }
    };
}

phrases! {
    /// "Benvenuti nel servizio clienti." [IVR-1]
    Benvenuto = "benvenuto" in BOTH;
    /// "Benvenuti nel centralino." (the regional switchboard) [IVR-1]
    BenvenutoCentralino = "benvenuto_centralino" in BOTH;
    /// "Benvenuti nel numero verde del servizio clienti." [IVR-1]
    BenvenutoNumeroVerde = "benvenuto_numero_verde" in BOTH;
    /// "Il servizio è al momento chiuso." [IVR-1]
    Chiuso = "chiuso" in BOTH;
    /// "Gli orari di apertura sono" (followed by days and hours) [IVR-1]
    Orari = "orari" in BOTH;
    /// "Il numero verde è attivo dal lunedì al venerdì, dalle nove alle diciassette." [IVR-1]
    OrariNumeroVerde = "orari_numero_verde" in BOTH;
    /// "Il centralino è attivo dal lunedì al venerdì, dalle otto alle diciannove." [IVR-1]
    OrariCentralino = "orari_centralino" in BOTH;
    /// "Vi invitiamo a richiamare negli orari di apertura. Grazie." [IVR-1]
    Richiamare = "richiamare" in BOTH;
    /// "Restate in linea, prego. Un operatore vi risponderà il prima possibile." [IVR-5]
    Attendere = "attendere" in BOTH;
    /// "Tutti gli operatori sono al momento occupati." [IVR-5]
    TuttiOccupati = "tutti_occupati" in BOTH;
    /// "Grazie per l'attesa." [IVR-5]
    GrazieAttesa = "grazie_attesa" in BOTH;
    /// "Vi stiamo mettendo in contatto con un operatore." [IVR-5]
    Trasferimento = "trasferimento" in BOTH;
    /// "Lasciate un messaggio dopo il segnale acustico. Al termine, premete il tasto
    /// cancelletto." [VM-1]
    Segreteria = "segreteria" in BOTH;
    /// "Il messaggio è stato registrato. Grazie." [VM-1]
    MessaggioRegistrato = "messaggio_registrato" in BOTH;
    /// The voicemail tone: 1 kHz, 300 ms [VM-1].
    Beep = "beep" in BOTH;
    /// "Grazie per aver chiamato. Arrivederci."
    Arrivederci = "arrivederci" in BOTH;
    /// "Scelta non valida." [IVR-1]
    SceltaNonValida = "scelta_non_valida" in BOTH;
    /// "Non abbiamo ricevuto alcuna scelta." [IVR-1]
    NessunaScelta = "nessuna_scelta" in BOTH;
    /// "Si è verificato un problema tecnico. Vi preghiamo di richiamare più tardi."
    ErroreTecnico = "errore_tecnico" in BOTH;
    /// "Questa chiamata potrebbe essere registrata per finalità di qualità del servizio." [CRM-4]
    ConsensoRegistrazione = "consenso_registrazione" in IT;
    /// "Registrate l'annuncio dopo il segnale acustico. Al termine, premete il tasto cancelletto." [IVR-2]
    RegistraAnnuncio = "registra_annuncio" in IT;
    /// "Premete uno per salvare l'annuncio, due per registrarlo di nuovo." [IVR-2]
    ConfermaAnnuncio = "conferma_annuncio" in IT;
    /// "L'annuncio è stato salvato. Arrivederci." [IVR-2]
    AnnuncioSalvato = "annuncio_salvato" in IT;
    /// "Sei il numero" (then the position and `in_coda`) [IVR-5]
    SeiIlNumero = "sei_il_numero" in BOTH;
    /// "in coda." [IVR-5]
    InCoda = "in_coda" in BOTH;
    /// "Sei il primo in coda." [IVR-5]
    SeiIlPrimo = "sei_il_primo" in BOTH;
    /// "L'attesa prevista è di circa" (then minutes) [IVR-6]
    AttesaPrevista = "attesa_prevista" in BOTH;
    /// "L'attesa prevista è di" (then `meno_di_un_minuto`) [IVR-6]
    AttesaPrevistaBreve = "attesa_prevista_breve" in BOTH;
    /// "premere" (menu pieces: "premere" + digit) [IVR-1]
    Premere = "premere" in BOTH;
    /// "oppure" [IVR-1]
    Oppure = "oppure" in BOTH;
    /// "minuti"
    Minuti = "minuti" in BOTH;
    /// "un minuto"
    UnMinuto = "un_minuto" in BOTH;
    /// "meno di un minuto." [IVR-6]
    MenoDiUnMinuto = "meno_di_un_minuto" in BOTH;
    /// "secondi"
    Secondi = "secondi" in BOTH;
    /// "un secondo"
    UnSecondo = "un_secondo" in BOTH;
    /// "ore"
    Ore = "ore" in BOTH;
    /// "un'ora"
    UnOra = "un_ora" in BOTH;
    /// "e" ("and")
    E = "e" in BOTH;
    /// "asterisco" ("star")
    Asterisco = "asterisco" in BOTH;
    /// "cancelletto" ("hash")
    Cancelletto = "cancelletto" in BOTH;
    /// "dal lunedì al venerdì" ("Monday to Friday") [IVR-1]
    DalLunediAlVenerdi = "dal_lunedi_al_venerdi" in BOTH;
    /// "dalle" ("from") [IVR-1]
    Dalle = "dalle" in BOTH;
    /// "alle" ("to") [IVR-1]
    Alle = "alle" in BOTH;
    /// "dall'una" (Italian only) [IVR-1]
    DallUna = "dall_una" in IT;
    /// "all'una" (Italian only) [IVR-1]
    AllUna = "all_una" in IT;
    /// "dalla mezzanotte" (Italian only) [IVR-1]
    DallaMezzanotte = "dalla_mezzanotte" in IT;
    /// "alla mezzanotte" (Italian only) [IVR-1]
    AllaMezzanotte = "alla_mezzanotte" in IT;
    /// "mila", after a count of thousands: "duemila" (Italian only)
    Mila = "mila" in IT;
    /// "un milione" (Italian only)
    UnMilione = "un_milione" in IT;
    /// "milioni" (Italian only)
    Milioni = "milioni" in IT;
    /// "un miliardo" (Italian only)
    UnMiliardo = "un_miliardo" in IT;
    /// "miliardi" (Italian only)
    Miliardi = "miliardi" in IT;
    /// "a.m." (English only) [IVR-1]
    Am = "am" in EN;
    /// "p.m." (English only) [IVR-1]
    Pm = "pm" in EN;
    /// "noon" (English only) [IVR-1]
    Noon = "noon" in EN;
    /// "midnight" (English only) [IVR-1]
    Midnight = "midnight" in EN;
    /// "hundred" (English only)
    Hundred = "hundred" in EN;
    /// "thousand" (English only)
    Thousand = "thousand" in EN;
    /// "million" (English only)
    Million = "million" in EN;
    /// "billion" (English only)
    Billion = "billion" in EN;
}

impl Phrase {
    /// The phrase with this key, for IVR scripts that name prompts (`"benvenuto"`).
    pub fn from_key(key: &str) -> Option<Phrase> {
        Phrase::ALL
            .iter()
            .copied()
            .find(|phrase| phrase.key() == key)
    }
}
