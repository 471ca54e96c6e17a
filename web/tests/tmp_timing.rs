use pecsched_core::scenario::Scenario;
use pecsched_web::runner::Runner;

#[cfg(target_arch = "wasm32")]
fn now() -> f64 { js_sys::Date::now() }
#[cfg(not(target_arch = "wasm32"))]
fn now() -> f64 { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1e3 }

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn timing() {
    let w = Scenario::default_scenario().to_wire();
    for _ in 0..3 {
        let t0 = now();
        let s = Scenario::from_wire(&w).unwrap();
        let reqs = s.requests(None).unwrap();
        let t1 = now();
        let mut ev = 0;
        for &p in &s.policies { let (sum, _) = s.run(p, reqs.clone()).unwrap(); ev += sum.events; }
        let t2 = now();
        let r = Runner::new(1, &w, None, false).unwrap();
        let t3 = now();
        let msgs = r.run_to_end();
        let t4 = now();
        let msg = format!("requests {:.1} ms, 4 runs {:.1} ms ({ev} events), runner new {:.1} ms, runner all {:.1} ms ({} msgs)", t1-t0, t2-t1, t3-t2, t4-t3, msgs.len());
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_test::console_log!("{}", msg);
        #[cfg(not(target_arch = "wasm32"))]
        eprintln!("{msg}");
    }
}
