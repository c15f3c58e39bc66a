import Foundation

/// Why the result could not be written to standard output.
struct OutputError: Error, Hashable, CustomStringConvertible, Sendable {
    enum Code: Hashable, Sendable {
        /// The reader went away (`EPIPE`, with `SIGPIPE` ignored). Commands exit 1 quietly,
        /// as coreutils does: the reader is gone and nobody would see a message on stdout.
        case brokenPipe
        /// Standard output is closed (`EBADF`).
        case closed
        /// The device is full (`ENOSPC`) or over quota (`EDQUOT`).
        case noSpace
        /// Any other write error; `errno` is kept.
        case io(errno: Int32)
    }

    let code: Code
    /// `cannot write to standard output: <reason>`.
    let message: String

    init(errno err: Int32) {
        switch err {
        case EPIPE: code = .brokenPipe
        case EBADF: code = .closed
        case ENOSPC, EDQUOT: code = .noSpace
        default: code = .io(errno: err)
        }
        let reason = err == EBADF ? "standard output is closed" : String(cString: strerror(err))
        message = "cannot write to standard output: \(reason)"
    }

    var description: String { message }
    static func == (a: OutputError, b: OutputError) -> Bool { a.code == b.code }
    func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The command outcome for this error: exit 1, with no message for a broken pipe.
    var failure: CommandFailure { .error(code == .brokenPipe ? "" : message) }
}

/// Writes results to standard output with `write(2)`, reporting every failure (a full disk,
/// a closed descriptor, a reader that went away) as an ``OutputError`` instead of losing it
/// in a buffer or crashing. Anything `print` buffered before is flushed first, so the order
/// holds.
///
/// ```swift
/// do { try Output.write("done\n") } catch { throw error.failure }
/// ```
enum Output {
    /// Fails with ``OutputError/Code/closed`` if standard output is not open. Call it before
    /// any work: once the descriptor is closed, the next file the process opens takes number 1,
    /// and results would go to that file (or fail with a confusing error).
    ///
    /// The Swift runtime itself opens descriptors before `main` (on Linux, the dispatch
    /// event loop's `eventfd` and `epoll`), which take number 1 when it was closed; those are
    /// anonymous inodes with no file type, and are recognised as a closed stdout too.
    static func requireOpen() throws(OutputError) {
        var st = stat()
        if fstat(STDOUT_FILENO, &st) != 0 {
            if errno == EBADF { throw OutputError(errno: EBADF) }
            return
        }
        let type = st.st_mode & S_IFMT
        if type == 0 || type == S_IFDIR { throw OutputError(errno: EBADF) }
    }

    /// Writes all of `text`'s UTF-8 bytes.
    static func write(_ text: String) throws(OutputError) {
        var text = text
        let result = text.withUTF8 { buffer in Result { () throws(OutputError) in try write(bytes: UnsafeRawBufferPointer(buffer)) } }
        try result.get()
    }

    private static let wroteFlag = ProgressFlag()

    /// Whether anything was written to standard output through ``Output``.
    static var wroteAnything: Bool { wroteFlag.peek() }

    /// Writes all of `bytes`.
    static func write(bytes: UnsafeRawBufferPointer) throws(OutputError) {
        if bytes.count > 0 { wroteFlag.set(true) }
        // Whatever `print` buffered goes first (a failure there shows again in our write).
        fflush(nil)
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(STDOUT_FILENO, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(errno: errno)
            }
            done += n
        }
    }

    /// Collects output and writes it in blocks of about 64 KiB, so many short lines cost few
    /// system calls and no more memory than one block.
    struct Buffered: ~Copyable {
        private var pending: [UInt8] = []
        private let blockSize = 64 << 10

        init() { pending.reserveCapacity(blockSize + 1024) }

        mutating func append(_ bytes: some Sequence<UInt8>) throws(OutputError) {
            pending.append(contentsOf: bytes)
            if pending.count >= blockSize { try flush() }
        }

        mutating func append(_ text: String) throws(OutputError) { try append(text.utf8) }

        /// Writes what is collected.
        mutating func flush() throws(OutputError) {
            guard !pending.isEmpty else { return }
            let result = pending.withUnsafeBytes { bytes in Result { () throws(OutputError) in try Output.write(bytes: bytes) } }
            try result.get()
            pending.removeAll(keepingCapacity: true)
        }
    }
}

extension Output {
    /// Writes `text` to standard output, or ends the process the way a failed write deserves:
    /// a reader that went away (`EPIPE`) exits 1 without a word, as coreutils does; a full
    /// device or a closed descriptor prints the error and exits 1. With `--quiet`, results
    /// that were not asked for as JSON are dropped.
    static func emit(_ text: String) {
        let style = Terminal.style
        if style.quiet && !style.json { return }
        do {
            try write(text)
        } catch {
            exitAfterFailedWrite(error)
        }
    }

    /// Ends the process after a failed write to standard output (see ``emit(_:)``).
    static func exitAfterFailedWrite(_ error: OutputError) -> Never {
        Terminal.clearProgress()
        if error.code != .brokenPipe { Terminal.error(error.message) }
        exit(1)
    }

    /// Writes what `print` and the C library still hold, and ends the process as
    /// ``emit(_:)`` would if that write fails (called once before a command's exit).
    static func flushOrExit() {
        errno = 0
        // Every stream: whatever a library or `Swift.print` left in stdout's buffer.
        if fflush(nil) != 0 {
            exitAfterFailedWrite(OutputError(errno: errno == 0 ? EIO : errno))
        }
    }
}

/// Every command's results reach standard output through ``Output/emit(_:)``: this shadows
/// `Swift.print` inside the command-line tool, so a plain `print` reports a full device or a
/// closed stdout instead of losing the text, and honours `--quiet`.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Output.emit(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
