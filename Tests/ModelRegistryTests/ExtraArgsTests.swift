import ModelRegistry
import OrderedJSON
import Testing

/// `backend_config.extra_args` may not name other weights than the verified model path.
struct ExtraArgsTests {
    func config(_ arguments: [String]) -> BackendConfig {
        BackendConfig(JSONObject([("extra_args", .array(arguments.map(JSONValue.string)))]))
    }

    @Test("options that choose the weights are found in every form vLLM's argparse reads", arguments: [
        (["--model", "/unverified"], "--model"), (["--model=/unverified"], "--model"), (["--mod", "/x"], "--model"),
        (["--m=/x"], "--model"), (["--tok", "/t"], "--tokenizer"), (["--tokenizer=/t"], "--tokenizer"),
        (["--download_dir", "/d"], "--download-dir"), (["--download-d=/d"], "--download-dir"),
        (["--load-format", "dummy"], "--load-format"), (["--load_f=dummy"], "--load-format"),
        (["--max-model-len", "4096", "--config", "evil.yaml"], "--config"),
    ])
    func refused(arguments: [String], option: String) {
        let found = config(arguments).weightOverride
        #expect(found?.option == option)
        #expect(found.map { arguments.contains($0.argument) } == true)
        #expect(config(arguments).weightOverrideProblem?.contains(found?.argument ?? "?") == true)
    }

    @Test("longer option names, values and the end-of-options marker pass", arguments: [
        ["--served-model-name", "chat"], ["--model-loader-extra-config", "{}"], ["--tokenizer-mode", "auto"],
        ["--max-model-len=8192", "--trust-remote-code"], ["--config-format", "hf"], ["--"], ["-tp", "2"], [],
    ])
    func allowed(arguments: [String]) {
        #expect(config(arguments).weightOverride == nil)
    }
}
