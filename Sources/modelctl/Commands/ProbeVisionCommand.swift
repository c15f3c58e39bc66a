import ArgumentParser
import Foundation
import HTTPSupport
import ModelRegistry
import ModelRuntime
import SystemSupport
import OrderedJSON

struct ProbeVisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-vision",
        abstract: "Send an image to a model's backend, judge whether it sees it, and record the result.",
        discussion: """
            POSTs {endpoint}/chat/completions with the question "\(VisionProbe.prompt)" and \
            the image as a base64 data URL (max_tokens 64, temperature 0). vision_ok is true \
            when the reply names a colour (with --expect, that colour) and does not say that \
            it cannot see the image. Probe with an image of one known colour and pass it with \
            --expect for a conclusive answer.

            Prints {model, vision_ok, latency_ms, notes, probe_version, timestamp, status_code} \
            and records it under the entry's probes.vision in the discovered layer. A file that \
            is not a PNG, JPEG, GIF, WebP or BMP image, or is larger than 20 MiB, exits 1 \
            before it is read or sent; an \
            unreachable backend, a non-2xx answer, a timeout or a malformed answer exits 1 and \
            is recorded too.
            """
    )

    @Argument(help: "The entry's name.")
    var name: String

    @Argument(help: "The image file (PNG, JPEG, GIF, WebP or BMP).")
    var image: String

    @Option(name: .customLong("timeout"), parsing: .unconditional, help: ArgumentHelp("Seconds to wait for the whole exchange (above 0, at most 3600).", valueName: "s"))
    var timeout: Double = 60

    @Option(name: .customLong("expect"), help: ArgumentHelp("The image's colour; vision_ok then requires the reply to name it.", valueName: "colour"))
    var expect: String?

    @Flag(name: .customLong("json"), help: "Print the result as JSON (the only form; accepted for symmetry with the other commands).")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        guard Duration.validSeconds(timeout, maximum: VisionProbe.maximumTimeout) != nil else {
            throw ValidationError("--timeout must be a number of seconds above 0 and at most \(Int(VisionProbe.maximumTimeout.inSeconds))")
        }
    }

    func run() async throws {
        let store = try registry.store()
        let entry = try registry.load().entry(named: name)
        let probe = VisionProbe(
            timeout: Duration.validSeconds(timeout, maximum: VisionProbe.maximumTimeout) ?? .seconds(60), expectedColour: expect,
            endpoints: Settings.current.endpoints)
        let result = try await probe.runAndRecord(entry: entry, imagePath: image, registry: store)
        print(JSON.serialize(result.json))
        if let failure = result.failure { throw CommandFailure.error(failure.message) }
    }
}
