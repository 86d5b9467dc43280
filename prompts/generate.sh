#!/usr/bin/env bash
# Regenerates Centralino's default prompt set (IVR-1, IVR-4, IVR-5, IVR-6, VM-1).
#
# How the files are made:
#   speech: espeak-ng (voice "it" or "en", UTF-8 text) writes a 22.05 kHz WAV; sox
#           converts it to mono 8 kHz 16-bit signed PCM WAV, trims leading and trailing
#           silence (below 0.5 % of full scale) and normalises the peak to -3 dBFS;
#   beep:   sox synthesises a 1 kHz sine, 300 ms, 5 ms fades, peak -6 dBFS (it/ and en/);
#   music on hold: sox synthesises a 24 s loop of plucked-string arpeggios over soft sine
#           bass notes (C Am F G C Em F G), with reverb and a low-pass, peak -6 dBFS.
# Nothing here is third-party audio: every file is synthesised by this script.
#
# Deterministic and idempotent: sox runs with -R (repeatable random numbers, which the
# dither and the pluck synthesiser use), espeak-ng is deterministic, so running the
# script twice gives byte-identical files. Run time is bounded: every external command
# runs under `timeout`, and the whole set takes well under two minutes.
#
# Names listed in prompts/recorded.txt (one "it/benvenuto" per line, # comments) are
# recordings that replaced a generated prompt: the script leaves them alone.
#
# Usage: prompts/generate.sh        (from anywhere; writes next to this script)
# Needs: espeak-ng (with the it and en voices), sox, coreutils.

set -euo pipefail
export LC_ALL=C.UTF-8

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE"
for tool in espeak-ng sox timeout; do
    command -v "$tool" >/dev/null || { echo "generate.sh: $tool is missing" >&2; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
T="timeout 30"

# Speaking rates (words per minute): sentences a little slower than espeak's 175 for
# the narrow-band phone line, numbers slightly faster than the default so composed phrases flow and the set stays small.
RATE_SENTENCE=160
RATE_WORD=180

declare -A RECORDED=()
if [[ -f recorded.txt ]]; then
    while read -r line; do
        line=${line%%#*}
        line=${line//[[:space:]]/}
        [[ -n $line ]] && RECORDED[$line]=1
    done < recorded.txt
fi

declare -A GENERATED=()
TRANSCRIPTS="$TMP/transcripts.tsv"
: > "$TRANSCRIPTS"

# speak LANG NAME RATE TEXT: one spoken prompt, LANG/NAME.wav.
speak() {
    local lang=$1 name=$2 rate=$3 text=$4
    local voice=$lang
    GENERATED["$lang/$name"]=1
    printf '%s/%s\t%s\n' "$lang" "$name" "$text" >> "$TRANSCRIPTS"
    [[ -n ${RECORDED["$lang/$name"]:-} ]] && return 0
    $T espeak-ng -b 1 -v "$voice" -s "$rate" -w "$TMP/raw.wav" -- "$text"
    $T sox -R -D "$TMP/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$TMP/out.wav" \
        rate 8000 silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse norm -3
    mv "$TMP/out.wav" "$lang/$name.wav"
}
sentence() { speak "$1" "$2" "$RATE_SENTENCE" "$3"; }
word() { speak "$1" "$2" "$RATE_WORD" "$3"; }

# beep LANG: the voicemail tone.
beep() {
    local lang=$1
    GENERATED["$lang/beep"]=1
    printf '%s/beep\t%s\n' "$lang" "(1 kHz tone, 300 ms)" >> "$TRANSCRIPTS"
    [[ -n ${RECORDED["$lang/beep"]:-} ]] && return 0
    $T sox -R -D -n -r 8000 -c 1 -b 16 -e signed-integer "$lang/beep.wav" \
        synth 0.3 sine 1000 fade t 0.005 0.3 0.005 norm -6
}

# Italian number words. Tens drop their final vowel before "uno" and "otto"
# (ventuno, ventotto), "tre" takes the accent in compounds (trentatré), and a
# hundred drops its final "o" before "otto" and "ottanta" (centotto, centottanta).
IT_UNITS=(zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici
    quattordici quindici sedici diciassette diciotto diciannove)
IT_TENS=("" "" venti trenta quaranta cinquanta sessanta settanta ottanta novanta)
it_words() {
    local n=$1
    if (( n < 20 )); then echo "${IT_UNITS[n]}"; return; fi
    if (( n < 100 )); then
        local t=${IT_TENS[n / 10]} u=$(( n % 10 ))
        case $u in
            0) echo "$t" ;;
            1|8) echo "${t%?}${IT_UNITS[u]}" ;;
            3) echo "${t}tré" ;;
            *) echo "$t${IT_UNITS[u]}" ;;
        esac
        return
    fi
    local h=$(( n / 100 )) r=$(( n % 100 )) hw
    if (( h == 1 )); then hw=cento; else hw="${IT_UNITS[h]}cento"; fi
    if (( r == 0 )); then echo "$hw"
    elif (( r == 8 || (r >= 80 && r <= 89) )); then echo "${hw%?}$(it_words "$r")"
    else echo "$hw$(it_words "$r")"
    fi
}

EN_UNITS=(zero one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen)
EN_TENS=("" "" twenty thirty forty fifty sixty seventy eighty ninety)

mkdir -p it en moh

# --- Italian -------------------------------------------------------------------------
L=it
sentence $L benvenuto "Benvenuti nel servizio clienti."
sentence $L benvenuto_centralino "Benvenuti nel centralino."
sentence $L benvenuto_numero_verde "Benvenuti nel numero verde del servizio clienti."
sentence $L chiuso "Il servizio è al momento chiuso."
sentence $L orari "Gli orari di apertura sono"
sentence $L orari_numero_verde "Il numero verde è attivo dal lunedì al venerdì, dalle nove alle diciassette."
sentence $L orari_centralino "Il centralino è attivo dal lunedì al venerdì, dalle otto alle diciannove."
sentence $L richiamare "Vi invitiamo a richiamare negli orari di apertura. Grazie."
sentence $L attendere "Restate in linea, prego. Un operatore vi risponderà il prima possibile."
sentence $L tutti_occupati "Tutti gli operatori sono al momento occupati."
sentence $L grazie_attesa "Grazie per l'attesa."
sentence $L trasferimento "Vi stiamo mettendo in contatto con un operatore."
sentence $L segreteria "Lasciate un messaggio dopo il segnale acustico. Al termine, premete il tasto cancelletto."
sentence $L messaggio_registrato "Il messaggio è stato registrato. Grazie."
sentence $L arrivederci "Grazie per aver chiamato. Arrivederci."
sentence $L scelta_non_valida "Scelta non valida."
sentence $L nessuna_scelta "Non abbiamo ricevuto alcuna scelta."
sentence $L errore_tecnico "Si è verificato un problema tecnico. Vi preghiamo di richiamare più tardi."
sentence $L consenso_registrazione "Questa chiamata potrebbe essere registrata per finalità di qualità del servizio."
sentence $L registra_annuncio "Registrate l'annuncio dopo il segnale acustico. Al termine, premete il tasto cancelletto."
sentence $L conferma_annuncio "Premete uno per salvare l'annuncio, due per registrarlo di nuovo."
sentence $L annuncio_salvato "L'annuncio è stato salvato. Arrivederci."
sentence $L sei_il_numero "Sei il numero"
sentence $L in_coda "in coda."
sentence $L sei_il_primo "Sei il primo in coda."
sentence $L attesa_prevista "L'attesa prevista è di circa"
sentence $L attesa_prevista_breve "L'attesa prevista è di"
word $L premere "premere"
word $L oppure "oppure"
word $L minuti "minuti"
word $L un_minuto "un minuto"
word $L meno_di_un_minuto "meno di un minuto."
word $L secondi "secondi"
word $L un_secondo "un secondo"
word $L ore "ore"
word $L un_ora "un'ora"
word $L e "e"
word $L asterisco "asterisco"
word $L cancelletto "cancelletto"
word $L dal_lunedi_al_venerdi "dal lunedì al venerdì"
word $L dalle "dalle"
word $L alle "alle"
word $L dall_una "dall'una"
word $L all_una "all'una"
word $L dalla_mezzanotte "dalla mezzanotte"
word $L alla_mezzanotte "alla mezzanotte"
word $L mila "mila"
word $L un_milione "un milione"
word $L milioni "milioni"
word $L un_miliardo "un miliardo"
word $L miliardi "miliardi"
for n in $(seq 0 100); do word $L "n$n" "$(it_words "$n")"; done
for h in 2 3 4 5 6 7 8 9; do word $L "n$(( h * 100 ))" "$(it_words $(( h * 100 )))"; done
for h in 1 2 3 4 5 6 7 8 9; do
    for r in 8 80 81 82 83 84 85 86 87 88 89; do
        word $L "n$(( h * 100 + r ))" "$(it_words $(( h * 100 + r )))"
    done
done
word $L n1000 "mille"
beep $L

# --- English -------------------------------------------------------------------------
L=en
sentence $L benvenuto "Welcome to customer service."
sentence $L benvenuto_centralino "Welcome to the switchboard."
sentence $L benvenuto_numero_verde "Welcome to our freephone customer service."
sentence $L chiuso "The service is currently closed."
sentence $L orari "Our opening hours are"
sentence $L orari_numero_verde "Our freephone line is open Monday to Friday, from 9 a.m. to 5 p.m."
sentence $L orari_centralino "The switchboard is open Monday to Friday, from 8 a.m. to 7 p.m."
sentence $L richiamare "Please call again during opening hours. Thank you."
sentence $L attendere "Please hold. An operator will answer as soon as possible."
sentence $L tutti_occupati "All our operators are currently busy."
sentence $L grazie_attesa "Thank you for waiting."
sentence $L trasferimento "We are putting you through to an operator."
sentence $L segreteria "Please leave a message after the tone. When you have finished, press the hash key."
sentence $L messaggio_registrato "Your message has been recorded. Thank you."
sentence $L arrivederci "Thank you for calling. Goodbye."
sentence $L scelta_non_valida "Invalid choice."
sentence $L nessuna_scelta "We did not receive a choice."
sentence $L errore_tecnico "We are experiencing a technical problem. Please call again later."
sentence $L sei_il_numero "You are number"
sentence $L in_coda "in the queue."
sentence $L sei_il_primo "You are first in the queue."
sentence $L attesa_prevista "The expected waiting time is about"
sentence $L attesa_prevista_breve "The expected waiting time is"
word $L premere "press"
word $L oppure "or"
word $L minuti "minutes"
word $L un_minuto "one minute"
word $L meno_di_un_minuto "less than one minute."
word $L secondi "seconds"
word $L un_secondo "one second"
word $L ore "hours"
word $L un_ora "one hour"
word $L e "and"
word $L asterisco "star"
word $L cancelletto "hash"
word $L dal_lunedi_al_venerdi "Monday to Friday"
word $L dalle "from"
word $L alle "to"
word $L am "a.m."
word $L pm "p.m."
word $L noon "noon"
word $L midnight "midnight"
word $L hundred "hundred"
word $L thousand "thousand"
word $L million "million"
word $L billion "billion"
for n in $(seq 0 19); do word $L "n$n" "${EN_UNITS[n]}"; done
for t in 2 3 4 5 6 7 8 9; do word $L "n$(( t * 10 ))" "${EN_TENS[t]}"; done
beep $L

# --- Music on hold ---------------------------------------------------------------------
# Eight chords of three seconds (80 bpm, eight plucked eighth notes each) over a soft
# sine bass note; the last chord (G) leads back to the first (C), so the loop is seamless.
GENERATED["moh/default"]=1
printf '%s\t%s\n' "moh/default" "(24 s music-on-hold loop, C Am F G C Em F G)" >> "$TRANSCRIPTS"
if [[ -z ${RECORDED["moh/default"]:-} ]]; then
    # Semitones from A4 (440 Hz): root for the bass, then the four arpeggio tones.
    CHORDS=(
        "-21 -9 -5 -2 3"     # C
        "-24 -12 -9 -5 0"    # Am
        "-28 -16 -12 -9 -4"  # F
        "-26 -14 -10 -7 -2"  # G
        "-21 -9 -5 -2 3"     # C
        "-29 -17 -14 -10 -5" # Em
        "-28 -16 -12 -9 -4"  # F
        "-26 -14 -10 -7 -2"  # G
    )
    PATTERN=(1 2 3 4 3 2 3 2)  # indexes into the four arpeggio tones (1-based)
    FLOAT=(-r 8000 -c 1 -e floating-point -b 32)
    parts=()
    i=0
    for c in "${!CHORDS[@]}"; do
        read -r -a tones <<< "${CHORDS[c]}"
        start=$(( c * 3000 ))
        f="$TMP/bass$c.wav"
        $T sox -R -n "${FLOAT[@]}" "$f" synth 3 sine "%${tones[0]}" \
            fade t 0.4 3 0.6 vol 0.5 pad "$(( start / 1000 )).000"
        parts+=("$f")
        for step in "${!PATTERN[@]}"; do
            # The final chord plays six notes so the tails have died out by the loop point.
            if (( c == ${#CHORDS[@]} - 1 && step >= 6 )); then continue; fi
            tone=${tones[PATTERN[step]]}
            at=$(( start + step * 375 ))
            f="$TMP/note$i.wav"
            $T sox -R -n "${FLOAT[@]}" "$f" synth 1.5 pluck "%$tone" \
                fade t 0.005 1.5 1.2 vol 0.35 pad "$(( at / 1000 )).$(printf '%03d' $(( at % 1000 )))"
            parts+=("$f")
            i=$(( i + 1 ))
        done
    done
    $T sox -R -m "${parts[@]}" "${FLOAT[@]}" "$TMP/mix.wav"
    $T sox -R -D "$TMP/mix.wav" -r 8000 -c 1 -b 16 -e signed-integer moh/default.wav \
        trim 0 24 lowpass 1800 reverb 30 50 60 fade t 0.02 24 0.3 norm -6
fi

# --- Bookkeeping -----------------------------------------------------------------------
# The transcript of every prompt, sorted so reruns give the same file.
sort "$TRANSCRIPTS" > transcripts.tsv

# Files that are neither generated nor listed as recordings are reported, not deleted.
for f in it/* en/* moh/*; do
    [[ -e $f ]] || continue
    name=${f%.*}
    if [[ -z ${GENERATED[$name]:-} && -z ${RECORDED[$name]:-} ]]; then
        echo "generate.sh: $f is not generated and not in recorded.txt" >&2
    fi
done
echo "generate.sh: ${#GENERATED[@]} prompts in $HERE"
