import Foundation

/// An image file read for a probe, with its MIME type taken from its first bytes.
///
/// Supported: PNG, JPEG, GIF, WebP and BMP. The file name's extension plays no part: a
/// `photo.png` that holds text is not an image.
public struct ImageFile: Sendable, Hashable {
    /// The path as given.
    public let path: String
    /// `image/png`, `image/jpeg`, `image/gif`, `image/webp` or `image/bmp`.
    public let mimeType: String
    /// The file's bytes.
    public let bytes: [UInt8]

    /// The default largest image, 20 MiB (OpenAI-compatible servers commonly refuse more).
    public static let defaultMaximumBytes = 20 << 20

    /// Reads `path` and checks that it is an image of at most `maximumBytes` bytes.
    ///
    /// The size is checked before anything is read, and the read itself stops after
    /// `maximumBytes`, so neither a huge file nor a device is read into memory.
    ///
    /// - Throws: ``RuntimeError`` `unreadableFile` (missing, a directory or other non-regular
    ///   file, unreadable), `imageTooLarge` or `notAnImage`, naming the file.
    public init(path: String, maximumBytes: Int = ImageFile.defaultMaximumBytes) throws(RuntimeError) {
        guard let status = Platform.fileStatus(path) else {
            let reason = Platform.lastErrorIsMissingFile ? "no such file" : "cannot read the image: \(Platform.lastErrorText)"
            throw RuntimeError(.unreadableFile, "\(path): \(reason)")
        }
        guard status.isRegular else {
            throw RuntimeError(.unreadableFile, "\(path): not a regular file; give an image file")
        }
        let tooLarge = RuntimeError(.imageTooLarge, "\(path): the image is larger than the limit of \(maximumBytes) bytes; nothing was sent")
        guard status.size <= Int64(maximumBytes) else { throw tooLarge }
        let read: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            read = try handle.read(upToCount: maximumBytes + 1) ?? Data()
        } catch {
            throw RuntimeError(.unreadableFile, "\(path): cannot read the image: \(error.localizedDescription)")
        }
        guard read.count <= maximumBytes else { throw tooLarge }
        guard let mime = Self.mimeType(of: read) else {
            throw RuntimeError(.notAnImage, "\(path): not an image (expected a PNG, JPEG, GIF, WebP or BMP file)")
        }
        self.path = path
        self.mimeType = mime
        self.bytes = Array(read)
    }

    /// The MIME type of the image format `bytes` start with, or `nil` when they are none of the
    /// supported formats.
    public static func mimeType(of bytes: some Collection<UInt8>) -> String? {
        let head = Array(bytes.prefix(32))
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + prefix.count && Array(head[offset..<offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        // BMP: "BM", then a DIB header whose size (offset 14, little endian) is one of the known ones.
        if starts(Array("BM".utf8)), head.count >= 18 {
            let dibSize = UInt32(head[14]) | UInt32(head[15]) << 8 | UInt32(head[16]) << 16 | UInt32(head[17]) << 24
            if [12, 16, 40, 52, 56, 64, 108, 124].contains(dibSize) { return "image/bmp" }
        }
        return nil
    }

    /// `data:{mimeType};base64,...`, as OpenAI-compatible servers take images.
    public var dataURL: String {
        "data:\(mimeType);base64," + Data(bytes).base64EncodedString()
    }
}
