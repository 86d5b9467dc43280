//! Prompt library tests on WAV files generated here (IVR-4, IVR-5): decoding at 8 kHz,
//! 16 kHz and 44.1 kHz stereo, band-limited resampling to 8 kHz (a 1 kHz tone stays 1 kHz, a
//! 5 kHz tone is filtered out, not aliased), G.711 pre-encoding, language fallback, music,
//! and per-file error reports. A last test loads the real `prompts/` folder if present.

use std::f32::consts::PI;
use std::path::{Path, PathBuf};

use media_relay::prompts::{
    AudioCodec, DecodeError, LoadFailure, PromptError, PromptLibrary, decode_file,
};
use rtp_media::g711;

/// A fresh temporary folder for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("media-relay-prompts-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a 16-bit WAV of `seconds` of a `freq` Hz tone at `rate` Hz on every channel.
fn write_tone(path: &Path, rate: u32, channels: u16, freq: f32, seconds: f32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let frames = (rate as f32 * seconds) as u32;
    for n in 0..frames {
        let s = (2.0 * PI * freq * n as f32 / rate as f32).sin() * 16000.0;
        for _ in 0..channels {
            w.write_sample(s as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Sign changes in the middle of the signal (edges excluded), per second at 8 kHz.
fn crossings_per_second(pcm: &[i16]) -> f32 {
    let mid = &pcm[pcm.len() / 8..pcm.len() * 7 / 8];
    let n = mid
        .windows(2)
        .filter(|w| (w[0] >= 0) != (w[1] >= 0))
        .count();
    n as f32 * 8000.0 / mid.len() as f32
}

/// Goertzel power of `freq` in `pcm` at 8 kHz, normalised by length.
fn goertzel(pcm: &[i16], freq: f32) -> f32 {
    let coeff = 2.0 * (2.0 * PI * freq / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in pcm {
        let s = f32::from(x) / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / pcm.len() as f32
}

fn rms(pcm: &[i16]) -> f32 {
    let mid = &pcm[pcm.len() / 8..pcm.len() * 7 / 8];
    (mid.iter().map(|s| f32::from(*s).powi(2)).sum::<f32>() / mid.len() as f32).sqrt()
}

#[test]
fn ivr4_decodes_and_resamples_wav_at_8k_16k_and_44k1_stereo() {
    let dir = temp_dir("rates");
    let cases = [
        ("8k.wav", 8000, 1, 1.0, 8000),
        ("16k.wav", 16000, 1, 0.5, 4000),
        ("44k1.wav", 44100, 2, 1.0, 8000),
    ];
    for (name, rate, channels, seconds, want_len) in cases {
        let path = dir.join(name);
        write_tone(&path, rate, channels, 1000.0, seconds);
        let pcm = decode_file(&path).unwrap();
        assert_eq!(pcm.len(), want_len, "{name}: resampled length");
        let zc = crossings_per_second(&pcm);
        assert!(
            (1990.0..=2010.0).contains(&zc),
            "{name}: {zc} crossings/s, want 2000"
        );
        let at_1k = goertzel(&pcm, 1000.0);
        for other in [500.0, 2000.0, 3000.0] {
            assert!(
                at_1k > 1000.0 * goertzel(&pcm, other),
                "{name}: 1 kHz dominates {other} Hz"
            );
        }
        // Amplitude preserved: 16000 peak is about 11314 RMS (stereo averaged to mono).
        let r = rms(&pcm);
        assert!((10800.0..11800.0).contains(&r), "{name}: RMS {r}");
    }
}

#[test]
fn ivr4_resampler_is_band_limited_not_sample_dropping() {
    let dir = temp_dir("alias");
    // 5 kHz is above the 4 kHz Nyquist limit of 8 kHz: dropping samples would alias it to
    // 3 kHz at full level; a proper resampler removes it.
    let path = dir.join("high.wav");
    write_tone(&path, 44100, 1, 5000.0, 1.0);
    let pcm = decode_file(&path).unwrap();
    let r = rms(&pcm);
    assert!(
        r < 11314.0 * 0.01,
        "5 kHz suppressed by at least 40 dB, RMS {r}"
    );
}

#[test]
fn ivr4_library_loads_languages_music_and_falls_back_to_default() {
    let dir = temp_dir("library");
    write_tone(&dir.join("it/benvenuto.wav"), 8000, 1, 440.0, 0.5);
    write_tone(&dir.join("it/arrivederci.wav"), 16000, 1, 440.0, 0.25);
    write_tone(&dir.join("en/benvenuto.wav"), 8000, 1, 880.0, 0.3);
    write_tone(&dir.join("moh/jazz.wav"), 44100, 2, 440.0, 2.0);
    std::fs::write(dir.join("README.md"), "ignored: not in a language folder").unwrap();
    std::fs::write(dir.join("it/.hidden.wav"), "ignored: hidden").unwrap();
    let (lib, errors) = PromptLibrary::load(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(lib.len(), 3);
    let en = lib.prompt("en", "benvenuto").unwrap();
    assert_eq!((en.language(), en.pcm().len()), ("en", 2400));
    // Missing in English: the Italian default.
    let fallback = lib.prompt("en", "arrivederci").unwrap();
    assert_eq!((fallback.language(), fallback.pcm().len()), ("it", 2000));
    assert_eq!(lib.prompt_path("fr/benvenuto").unwrap().language(), "it");
    assert_eq!(lib.prompt_path("benvenuto").unwrap().language(), "it");
    assert_eq!(
        lib.prompt("en", "nessuno").unwrap_err(),
        PromptError::NotFound {
            language: "en".into(),
            name: "nessuno".into()
        }
    );
    let en_default = lib.clone().with_default_language("en");
    assert_eq!(
        en_default.prompt("de", "benvenuto").unwrap().language(),
        "en"
    );
    // Pre-encoded G.711, one byte per sample.
    let p = lib.prompt("it", "benvenuto").unwrap();
    assert_eq!(p.duration().as_millis(), 500);
    let alaw = p.encoded(AudioCodec::Pcma);
    let ulaw = p.encoded(AudioCodec::Pcmu);
    assert_eq!((alaw.len(), ulaw.len()), (4000, 4000));
    assert_eq!(alaw[100], g711::linear_to_alaw(p.pcm()[100]));
    assert_eq!(ulaw[100], g711::linear_to_ulaw(p.pcm()[100]));
    // Music on hold.
    let jazz = lib.music("jazz").unwrap();
    assert_eq!(jazz.prompt().pcm().len(), 16000);
    assert_eq!(lib.music_names(), ["jazz"]);
    assert!(matches!(
        lib.music("rock"),
        Err(PromptError::MusicNotFound(_))
    ));
}

#[test]
fn ivr4_bad_files_are_reported_by_path_and_the_rest_still_load() {
    let dir = temp_dir("errors");
    write_tone(&dir.join("it/ok.wav"), 8000, 1, 1000.0, 0.1);
    let corrupt = dir.join("it/corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunk").unwrap();
    let garbage = dir.join("it/garbage.mp3");
    std::fs::write(&garbage, [0x5au8; 300]).unwrap();
    let unsupported = dir.join("it/notes.txt");
    std::fs::write(&unsupported, "not audio").unwrap();
    let duplicate = dir.join("it/ok.flac");
    std::fs::copy(dir.join("it/ok.wav"), &duplicate).unwrap();
    let (lib, errors) = PromptLibrary::load(&dir);
    assert_eq!(lib.len(), 1, "ok.wav loaded despite the others");
    let by_path = |p: &Path| errors.iter().find(|e| e.path == p);
    assert!(matches!(
        by_path(&unsupported).map(|e| &e.reason),
        Some(LoadFailure::Decode(DecodeError::UnsupportedExtension(ext))) if ext == "txt"
    ));
    for bad in [&corrupt, &garbage] {
        let e = by_path(bad).unwrap_or_else(|| panic!("{} reported: {errors:?}", bad.display()));
        assert!(matches!(e.reason, LoadFailure::Decode(_)), "{e}");
        assert!(
            e.to_string().contains(bad.to_str().unwrap()),
            "message names the file: {e}"
        );
    }
    // ok.flac sorts before ok.wav, is a WAV in disguise and decodes; ok.wav is the duplicate.
    assert!(
        errors
            .iter()
            .any(|e| matches!(e.reason, LoadFailure::Duplicate(_)))
    );
    assert_eq!(errors.len(), 4, "{errors:?}");
    let (_, missing) = PromptLibrary::load(&dir.join("nope"));
    assert!(matches!(missing[0].reason, LoadFailure::ReadDir(_)));
}

/// The real prompt set of the repository, when it has been generated: every file loads.
#[test]
fn ivr4_real_prompt_folder_loads_completely_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts");
    if !dir.is_dir() {
        return;
    }
    let (lib, errors) = PromptLibrary::load(&dir);
    assert!(errors.is_empty(), "every prompt decodes: {errors:?}");
    println!(
        "real prompt folder: {} prompts, music {:?}",
        lib.len(),
        lib.music_names()
    );
}
