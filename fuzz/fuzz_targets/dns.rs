#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smtpclient_fuzz::dns(data));
