import Synchronization

/// Lists the files of an artifact root by the rules of the aggregate digest:
/// every regular file, recursively; a symlink to a regular file is listed under the link's own
/// path; a dangling symlink or a link loop is an error, and so is, unless excluded by name,
/// anything else (a FIFO, socket or device, a link to one, a symlinked directory, which is
/// never descended): nothing in the tree is skipped in silence. Names are kept as bytes, so
/// names that are not UTF-8 or that hold line breaks are listed like any other.
///
/// Workers call ``next()`` themselves, so listing the tree runs while the other workers hash
/// and nobody waits for a whole walk to finish. Only `readdir` runs under the walk's lock, a
/// few dozen entries at a time; each worker opens its own files relative to their directory
/// (``ListedFile/open()``), so the kernel resolves one name per file, not the whole path.
/// Files are handed out one at a time, so no worker sits on files another could be hashing.
///
/// A directory whose entries change while it is listed (its size, modification or change
/// time differ before and after) is listed a second time: names that were already handed out
/// are skipped, new ones are handed out, and if a name from the first listing is gone or the
/// directory changes again, the walk fails with ``HashingError/Code/changedWhileHashing``.
/// A file renamed within the tree during the walk therefore never appears twice or not at all.
final class ArtifactWalk: Sendable {
    private let state: Mutex<WalkState>
    /// Workers in ``next(into:limit:)``, waiting for the lock or holding it.
    private let busy = Atomic<Int>(0)
    /// Files taken with ``next(into:limit:)`` and neither started nor handed back.
    private let loaned = Atomic<Int>(0)
    /// Workers waiting in ``waitForLoans()``, resumed when a loan is settled or handed back.
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])

    /// Entries listed per turn under the lock.
    static let listedPerTurn = 32
    /// Directories one turn may draw from. Each listed file keeps its directory open until it
    /// is opened itself, so this bounds the descriptors listed files hold.
    static let directoriesPerTurn = 4
    /// Parents that subdirectories waiting to be listed may keep open. A deep tree whose every
    /// level has two subdirectories (a "comb") would otherwise hold one descriptor per level;
    /// beyond this many, the parents farthest from their turn are closed, and reopened from
    /// the root (one name at a time, never through a link, checked to be the same directory)
    /// when their turn comes.
    static let openParentLimit = 64

    /// Starts a walk of `root` (a directory or a regular file), leaving out what `exclusions`
    /// name (a root that is itself a file is always listed).
    init(root: PathName, exclusions: PathExclusions = .none) throws(HashingError) {
        state = Mutex(try WalkState(root: root, exclusions: exclusions))
    }

    /// The next file in walk order, or `nil` when the walk is done.
    func next() throws(HashingError) -> ListedFile? {
        try state.withLock { state throws(HashingError) in
            if let file = state.listed.popLast() { return file }
            do throws(HashingError) {
                try state.list()
            } catch {
                state.finish()
                throw error
            }
            return state.listed.popLast()
        }
    }

    /// Moves up to `limit` next files into `batch` (the next one last), listing more if none
    /// is waiting; `batch` stays empty when the walk is done. Workers take a few small files
    /// per lock, and hand back those they have not started when one turns out large
    /// (``giveBack(_:)``), so no worker sits on files another could be hashing.
    ///
    /// The files taken count as loaned (see ``waitForLoans()``) until the worker hands them back or
    /// ``settle(_:)``s them. Returns how many were taken.
    @discardableResult
    func next(into batch: inout [ListedFile], limit: Int) throws(HashingError) -> Int {
        busy.wrappingAdd(1, ordering: .relaxed)
        defer { busy.wrappingSubtract(1, ordering: .relaxed) }
        let before = batch.count
        try state.withLock { state throws(HashingError) in
            if state.listed.isEmpty {
                do throws(HashingError) {
                    try state.list()
                } catch {
                    state.finish()
                    throw error
                }
            }
            // Moved one by one, not copied: a copy would count a reference to the file's
            // directory up and down again, on a counter every worker touches.
            for _ in 0..<min(limit, state.listed.count) { batch.append(state.listed.removeLast()) }
        }
        let taken = batch.count - before
        if taken > 0 { loaned.wrappingAdd(taken, ordering: .relaxed) }
        return taken
    }

    /// As ``next(into:limit:)``, unless another worker is in the walk (listing, most likely):
    /// then nothing, at once. For a worker that still has files to hash, which tops up its
    /// batch without waiting.
    @discardableResult
    func topUp(_ batch: inout [ListedFile], limit: Int) throws(HashingError) -> Int {
        guard busy.load(ordering: .relaxed) == 0 else { return 0 }
        return try next(into: &batch, limit: limit)
    }

    /// Whether some worker holds files it took and may still hand back.
    var hasLoans: Bool { loaned.load(ordering: .relaxed) > 0 }

    /// For a worker that finds the walk empty: `false` at once when no worker holds files it
    /// took and may still hand back; otherwise waits (suspended, holding no thread) until one
    /// settles or hands back some, and returns `true`. So a large file's neighbours are not
    /// left to the one worker that took them with it.
    func waitForLoans() async -> Bool {
        guard loaned.load(ordering: .relaxed) > 0 else { return false }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = waiters.withLock { waiting -> Bool in
                guard loaned.load(ordering: .relaxed) > 0 else { return false }
                waiting.append(continuation)
                return true
            }
            if !parked { continuation.resume() }
        }
        return true
    }

    /// A worker has started `count` of the files it took: they will not come back.
    func settle(_ count: Int) {
        guard count != 0 else { return }
        loaned.wrappingSubtract(count, ordering: .relaxed)
        wakeWaiters()
    }

    private func wakeWaiters() {
        for waiting in waiters.withLock({ waiting in defer { waiting = [] }; return waiting }) { waiting.resume() }
    }

    /// Returns files taken with ``next(into:limit:)`` but not started, to be handed out next.
    func giveBack(_ files: inout [ListedFile]) {
        guard !files.isEmpty else { return }
        let count = files.count
        state.withLock { state in
            while let file = files.popLast() { state.listed.append(file) }
        }
        loaned.wrappingSubtract(count, ordering: .relaxed)
        wakeWaiters()
    }

    /// After the last file was hashed: fails with ``HashingError/Code/changedWhileHashing``
    /// if a directory changed after it was listed (see ``WalkState/verifyUnchanged()``).
    func verifyUnchanged() throws(HashingError) {
        try state.withLock { state throws(HashingError) in try state.verifyUnchanged() }
    }

    /// Walks to the end, counting the regular files and their bytes (links followed), for a
    /// progress display's totals. Throws what the hashing walk would throw.
    func measure() throws(HashingError) -> (files: Int, bytes: Int64) {
        var files = 0
        var bytes: Int64 = 0
        while let listed = try next() {
            let st: FileStatus
            do throws(HashingError) {
                st = try listed.statFollowingLinks()
            } catch where error.code == .danglingSymlink || error.code == .symlinkLoop {
                throw error
            } catch {
                // Gone since the listing: the hashing walk reports it if it is still gone.
                continue
            }
            guard st.kind == .regular else { continue }
            files += 1
            bytes += st.size
        }
        return (files, bytes)
    }

    /// `directory/name`, without doubling a trailing `/`.
    static func join(_ directory: PathName, _ name: PathName) -> PathName {
        directory.withBytes { $0.last == 0x2F } ? directory.appending(name, separator: "") : directory.appending(name)
    }
}

/// An open directory. Its descriptor stays open until the walk and every file listed from it
/// are done with it, so workers can open those files relative to it.
final class OpenDirectory: @unchecked Sendable {  // `stream` is read only under the walk's lock.
    /// Its path (the root joined with the relative path), for messages.
    let path: PathName
    /// Its path relative to the root (empty for the root).
    let relative: PathName
    fileprivate let stream: Platform.DirectoryStream
    /// Its `fstat` when opened.
    let opened: FileStatus
    var fd: Int32 { stream.fd }

    fileprivate init(taking fd: Int32, path: PathName, relative: PathName) throws(HashingError) {
        do throws(SystemError) {
            stream = try Platform.DirectoryStream(taking: fd)
            opened = try Platform.status(of: stream.fd)
        } catch {
            throw ioError(path, "cannot open directory", error)
        }
        self.path = path
        self.relative = relative
    }

    /// Opens the root directory (following a link to it).
    fileprivate static func root(_ path: PathName) throws(HashingError) -> OpenDirectory {
        let fd: Int32
        do throws(SystemError) {
            fd = try path.withCString { name throws(SystemError) in try Platform.openDirectory(path: name) }
        } catch {
            throw ioError(path, "cannot open directory", error)
        }
        return try OpenDirectory(taking: fd, path: path, relative: PathName(""))
    }

    /// Opens the subdirectory `name` of `self`, never through a symbolic link: if it was
    /// swapped for a link (or anything else) since it was listed, it is not descended (`nil`),
    /// just as a link listed in the first place would not be. Relative opens also keep deep
    /// trees clear of the kernel's limit on path length.
    fileprivate func child(_ name: PathName, path: PathName, relative: PathName) throws(HashingError) -> OpenDirectory? {
        let fd: Int32
        do throws(SystemError) {
            fd = try name.withCString { name throws(SystemError) in try Platform.openSubdirectory(of: self.fd, name: name) }
        } catch where error == .loop || error == .notDirectory {
            return nil
        } catch where error == .noEntry {
            throw HashingError(.changedWhileHashing, name: path,
                               reason: "directory disappeared while the tree was being read; hash it again once it is stable")
        } catch {
            throw ioError(path, "cannot open directory", error)
        }
        return try OpenDirectory(taking: fd, path: path, relative: relative)
    }
}

/// A file the walk listed: a regular file or a symbolic link, not yet opened.
struct ListedFile: Sendable {
    /// The directory it was listed in; `nil` when it is the root itself.
    let directory: OpenDirectory?
    /// Its name in `directory`, or the root's path.
    let name: PathName
    /// Path relative to the root, `/`-separated; the base name when the root is a file.
    let relativePath: PathName
    /// Whether the directory listed it as a symbolic link.
    let isLink: Bool

    /// The path to name in messages: the directory's path joined with the name.
    var displayPath: PathName { directory.map { ArtifactWalk.join($0.path, name) } ?? name }

    /// Opens the file for hashing; throws ``HashingError/Code/specialFile`` when it is not a
    /// regular file (a link to a directory or to a device, or something swapped in since the listing).
    ///
    /// Links are checked with `stat` before they are opened, so a link to a device is never
    /// opened; the open is non-blocking, so a FIFO swapped in since the listing cannot hang it.
    ///
    /// A name listed as a regular file is opened without following a link: if it was swapped
    /// for a link since the listing, it is checked as a link first, so a link swapped in to a
    /// device (say `/dev/watchdog`, which arms on open) is never opened either.
    func open() throws(HashingError) -> OpenedFile {
        if isLink {
            switch try statFollowingLinks().kind {
            case .regular: break
            case .directory: throw .specialFile(at: displayPath, "a symbolic link to a directory")
            default: throw .specialFile(at: displayPath, "a symbolic link to a FIFO, socket or device")
            }
        }
        let fd: Int32
        do throws(SystemError) {
            fd = try name.withCString { name throws(SystemError) in
                try Platform.openForReading(in: directory?.fd, name: name, followLinks: isLink || directory == nil)
            }
        } catch where error == .loop && !isLink && directory != nil {
            return try ListedFile(directory: directory, name: name, relativePath: relativePath, isLink: true).open()
        } catch where error == .noEntry && directory != nil {
            throw HashingError(.changedWhileHashing, name: displayPath,
                               reason: "file disappeared while the tree was being read; hash it again once it is stable")
        } catch where error == .loop && isLink {
            throw .symlinkLoop(at: displayPath)
        } catch {
            throw ioError(displayPath, "cannot open", error)
        }
        let st: FileStatus
        do throws(SystemError) {
            st = try Platform.status(of: fd)
        } catch {
            Platform.close(fd)
            throw ioError(displayPath, "cannot stat", error)
        }
        guard st.kind == .regular else {
            Platform.close(fd)
            throw .specialFile(at: displayPath, "something other than a regular file")
        }
        return OpenedFile(fd: fd, opened: st)
    }

    /// `stat` of the file, or of a link's target: a link whose target is missing is a
    /// dangling-link error, a link that leads back to itself a loop error; any other failure
    /// is an I/O error naming the path.
    func statFollowingLinks() throws(HashingError) -> FileStatus {
        do throws(SystemError) {
            return try name.withCString { name throws(SystemError) in
                try Platform.status(in: directory?.fd, name: name, followLinks: true)
            }
        } catch {
            if isLink, error == .loop { throw .symlinkLoop(at: displayPath) }
            if isLink, error == .noEntry || error == .notDirectory { throw .danglingSymlink(at: displayPath) }
            throw ioError(displayPath, "cannot stat", error)
        }
    }
}

/// A file opened for hashing: its descriptor (closed by whoever opened it) and its `fstat`
/// when opened, the baseline for the changed-while-hashing check.
struct OpenedFile {
    let fd: Int32
    let opened: FileStatus
    var size: Int64 { opened.size }
}

/// Where a closed parent directory is, to reopen it from the root: its path relative to the
/// root, its path for messages, and its identity when it was listed.
private final class ClosedDirectory {
    let path: PathName
    let relative: PathName
    let identity: FileStatus

    init(_ directory: OpenDirectory) {
        path = directory.path
        relative = directory.relative
        identity = directory.opened
    }

    init(relative: PathName, path: PathName, identity: FileStatus) {
        self.relative = relative
        self.path = path
        self.identity = identity
    }
}

/// A directory listed to its end: where it is and its status when its listing ended.
private struct ListedDirectory {
    let relative: PathName
    let path: PathName
    let status: FileStatus
}

/// A subdirectory listed but not yet read. It keeps its parent open to be opened relative to
/// it, unless the walk closed the parent to save descriptors (then `closed` says where it is).
private struct PendingDirectory {
    var parent: OpenDirectory?
    var closed: ClosedDirectory?
    /// Which listing it came from: siblings share it, and they sit together on the stack.
    let group: Int
    let name: PathName
    let path: PathName
    let relative: PathName
}

/// The walk's position: the directory being read, the ones still to read, and the files
/// listed but not yet taken.
private struct WalkState {
    /// Listed files not yet handed out, the next one last.
    var listed: [ListedFile] = []
    /// A file read from a directory beyond the last turn's limit, first in the next turn.
    private var held: ListedFile?
    private var rootFile: ListedFile?
    private var rootPath: PathName?
    /// The root directory, kept open to reopen closed parents from.
    private var rootDirectory: OpenDirectory?
    private var pending: [PendingDirectory] = []
    /// Every directory listed to its end, and its status then, to check at the end of the walk.
    private var listedDirectories: [ListedDirectory] = []
    /// Groups on `pending` whose parent is open, and the lowest entry that may be one.
    private var openGroups = 0
    private var lowestOpen = 0
    private var groups = 0
    private var current: Listing?
    /// What the walk leaves out.
    private let exclusions: PathExclusions

    /// The directory being listed, and what its listing has seen so far.
    private struct Listing {
        let directory: OpenDirectory
        let group: Int
        /// The directory's status when this listing began.
        var start: FileStatus
        /// Hashes of the names handed out (or queued) from this directory.
        var seen: Set<Int> = []
        /// During the second listing: names of the first that were seen again, and their number.
        var relisting = false
        var firstCount = 0
        var seenAgain = 0
    }

    init(root: PathName, exclusions: PathExclusions) throws(HashingError) {
        self.exclusions = exclusions
        let st: FileStatus
        do throws(SystemError) {
            st = try root.withCString { path throws(SystemError) in try Platform.status(path: path, followLinks: true) }
        } catch {
            let link = try? root.withCString { path throws(SystemError) in try Platform.status(path: path, followLinks: false) }
            if link?.kind == .symbolicLink {
                if error == .loop { throw .symlinkLoop(at: root) }
                if error == .noEntry || error == .notDirectory { throw .danglingSymlink(at: root) }
            }
            if error == .noEntry || error == .notDirectory {
                throw HashingError(.notFound, name: root, reason: "no such file or directory")
            }
            throw ioError(root, "cannot stat", error)
        }
        switch st.kind {
        case .regular:
            rootFile = ListedFile(directory: nil, name: root, relativePath: Self.baseName(root), isLink: false)
        case .directory:
            rootPath = root
        default:
            throw HashingError(.unsupportedRoot, name: root, reason: "not a regular file or directory")
        }
    }

    /// Fails if a directory listed during the walk changed after its listing: a file moved
    /// from a directory already listed into one listed later would otherwise be hashed under
    /// both names, and one removed would be hashed although it is gone.
    mutating func verifyUnchanged() throws(HashingError) {
        guard let root = rootDirectory else { return }
        for listed in listedDirectories {
            let now: FileStatus
            do throws(SystemError) {
                now = try (listed.relative.isEmpty ? PathName(".") : listed.relative).withCString { name throws(SystemError) in
                    try Platform.status(in: root.fd, name: name, followLinks: false)
                }
            } catch where error == .nameTooLong {
                // Deeper than a path can name: reopen it one name at a time.
                guard let directory = try reopen(ClosedDirectory(relative: listed.relative, path: listed.path, identity: listed.status)) else {
                    throw Self.changedAfterListing(listed.path)
                }
                now = directory.opened
            } catch {
                throw Self.changedAfterListing(listed.path)
            }
            guard now.isSameFile(as: listed.status), now.isUnchanged(from: listed.status) else {
                throw Self.changedAfterListing(listed.path)
            }
        }
    }

    private static func changedAfterListing(_ path: PathName) -> HashingError {
        HashingError(.changedWhileHashing, name: path,
                     reason: "directory changed while the tree was being hashed (a file was added, removed or moved); hash it again once it is stable")
    }

    /// Stops the walk; `next()` returns `nil` from then on.
    mutating func finish() {
        current = nil
        rootPath = nil
        rootDirectory = nil
        pending = []
        listed = []
        held = nil
        rootFile = nil
    }

    /// Lists the next files, up to ``ArtifactWalk/listedPerTurn`` of them from at most
    /// ``ArtifactWalk/directoriesPerTurn`` directories, into `listed`.
    mutating func list() throws(HashingError) {
        var turn: [ListedFile] = []
        var directories = 0
        while turn.count < ArtifactWalk.listedPerTurn {
            var upcoming = held.take()
            if upcoming == nil { upcoming = try next() }
            guard let file = upcoming else { break }
            if turn.last?.directory !== file.directory {
                guard directories < ArtifactWalk.directoriesPerTurn else {
                    held = file
                    break
                }
                directories += 1
            }
            turn.append(file)
        }
        turn.reverse()
        listed = turn
    }

    /// The next file in walk order, or `nil` when the walk is done.
    private mutating func next() throws(HashingError) -> ListedFile? {
        if let file = rootFile.take() { return file }
        while true {
            // Taken out of `current` while it is changed, so its set of names is never shared
            // (and never copied) on insert.
            guard var listing = current.take() else {
                guard let directory = try openNextDirectory() else { return nil }
                groups += 1
                current = Listing(directory: directory, group: groups, start: directory.opened)
                continue
            }
            let entry: (name: UnsafeRawBufferPointer, kind: EntryKind)?
            do throws(SystemError) {
                entry = try listing.directory.stream.next()
            } catch {
                throw ioError(listing.directory.path, "cannot read directory", error)
            }
            guard let entry else {
                try endListing(listing)
                continue
            }
            var hasher = Hasher()
            hasher.combine(bytes: entry.name)
            let key = hasher.finalize()
            if listing.relisting, listing.seen.contains(key) {
                listing.seenAgain += 1
                current = listing
                continue
            }
            // Every name is remembered (subdirectories too), so a second listing skips it.
            listing.seen.insert(key)
            let (directory, group) = (listing.directory, listing.group)
            current = listing
            if let file = try visit(PathName(entry: entry.name), kind: entry.kind, in: directory, group: group) { return file }
        }
    }

    /// At the end of a listing: done if the directory did not change meanwhile; otherwise
    /// list it once more (skipping the names already handed out), and fail if it changes
    /// again or a name of the first listing is gone.
    private mutating func endListing(_ listing: consuming Listing) throws(HashingError) {
        let directory = listing.directory
        let now: FileStatus
        do throws(SystemError) {
            now = try Platform.status(of: directory.fd)
        } catch {
            throw ioError(directory.path, "cannot stat directory", error)
        }
        if listing.relisting, listing.seenAgain != listing.firstCount {
            throw HashingError(.changedWhileHashing, name: directory.path,
                               reason: "files in this directory were renamed or removed while it was read; hash it again once it is stable")
        }
        if now.isUnchanged(from: listing.start) {
            listedDirectories.append(ListedDirectory(relative: directory.relative, path: directory.path, status: now))
            current = nil
            return
        }
        if listing.relisting {
            throw HashingError(.changedWhileHashing, name: directory.path,
                               reason: "directory changed while it was read, twice; hash it again once it is stable")
        }
        listing.relisting = true
        listing.firstCount = listing.seen.count
        listing.seenAgain = 0
        listing.start = now
        directory.stream.rewind()
        current = listing
    }

    /// Opens the root, or the next pending subdirectory; `nil` when none is left.
    private mutating func openNextDirectory() throws(HashingError) -> OpenDirectory? {
        if let root = rootPath.take() {
            let directory = try OpenDirectory.root(root)
            rootDirectory = directory
            return directory
        }
        while let next = pending.popLast() {
            if next.parent != nil, pending.last?.group != next.group { openGroups -= 1 }
            lowestOpen = min(lowestOpen, pending.count)
            let parent: OpenDirectory
            if let open = next.parent {
                parent = open
            } else if let closed = next.closed {
                guard let reopened = try reopen(closed) else { continue }
                parent = reopened
                // Its siblings still waiting use the reopened directory too.
                var i = pending.count - 1
                while i >= 0, pending[i].group == next.group {
                    pending[i].parent = reopened
                    pending[i].closed = nil
                    i -= 1
                }
                if i < pending.count - 1 { openGroups += 1 }
            } else {
                continue
            }
            if let directory = try parent.child(next.name, path: next.path, relative: next.relative) { return directory }
        }
        return nil
    }

    /// Reopens a directory closed to save descriptors, from the root one name at a time,
    /// never through a link; `nil` if a link was swapped in on the way (not descended, as
    /// for any link). Fails if it is no longer the directory that was listed.
    private mutating func reopen(_ closed: ClosedDirectory) throws(HashingError) -> OpenDirectory? {
        guard let root = rootDirectory else { return nil }
        var fd = root.fd
        var owned = false
        defer { if owned { Platform.close(fd) } }
        let parts = closed.relative.bytes.split(separator: 0x2F, omittingEmptySubsequences: true)
        for part in parts {
            let name = PathName(bytes: part)
            let next: Int32
            do throws(SystemError) {
                next = try name.withCString { name throws(SystemError) in try Platform.openSubdirectory(of: fd, name: name) }
            } catch where error == .loop || error == .notDirectory {
                return nil
            } catch where error == .noEntry {
                throw HashingError(.changedWhileHashing, name: closed.path,
                                   reason: "directory disappeared while the tree was being read; hash it again once it is stable")
            } catch {
                throw ioError(closed.path, "cannot open directory", error)
            }
            if owned { Platform.close(fd) }
            fd = next
            owned = true
        }
        guard owned else { return root }
        owned = false
        let directory = try OpenDirectory(taking: fd, path: closed.path, relative: closed.relative)
        guard directory.opened.isSameFile(as: closed.identity) else {
            throw HashingError(.changedWhileHashing, name: closed.path,
                               reason: "directory was replaced while the tree was being read; hash it again once it is stable")
        }
        return directory
    }

    /// Classifies one directory entry: a file to hash (returned), a directory to list later
    /// (queued), or something to skip.
    private mutating func visit(_ name: PathName, kind: EntryKind, in directory: OpenDirectory, group: Int) throws(HashingError) -> ListedFile? {
        var kind = kind
        if kind == .unknown {
            let st: FileStatus
            do throws(SystemError) {
                st = try name.withCString { name throws(SystemError) in
                    try Platform.status(in: directory.fd, name: name, followLinks: false)
                }
            } catch {
                throw ioError(ArtifactWalk.join(directory.path, name), "cannot stat", error)
            }
            switch st.kind {
            case .directory: kind = .directory
            case .regular: kind = .regular
            case .symbolicLink: kind = .symbolicLink
            case .other: kind = .other
            }
        }
        let relative = directory.relative.appending(name)
        if kind == .directory {
            // Left out: never opened, so it costs one comparison.
            if exclusions.excludesDirectory(relative: relative, name: name, parent: directory.relative) { return nil }
            queue(PendingDirectory(parent: directory, closed: nil, group: group, name: name,
                                   path: ArtifactWalk.join(directory.path, name), relative: relative))
            return nil
        }
        if exclusions.excludesFile(relative) { return nil }
        if kind == .other { throw .specialFile(at: ArtifactWalk.join(directory.path, name), "a FIFO, socket or device") }
        return ListedFile(directory: directory, name: name, relativePath: relative, isLink: kind == .symbolicLink)
    }

    /// Pushes a subdirectory to list later; if that makes too many parents open, closes the
    /// parent of the lowest group that still has one open.
    private mutating func queue(_ entry: PendingDirectory) {
        if pending.last?.group != entry.group { openGroups += 1 }
        pending.append(entry)
        guard openGroups > ArtifactWalk.openParentLimit else { return }
        while lowestOpen < pending.count, pending[lowestOpen].parent == nil { lowestOpen += 1 }
        guard lowestOpen < pending.count, pending[lowestOpen].group != entry.group,
              let parent = pending[lowestOpen].parent else { return }
        let group = pending[lowestOpen].group
        let closed = ClosedDirectory(parent)
        var i = lowestOpen
        while i < pending.count, pending[i].group == group {
            pending[i].parent = nil
            pending[i].closed = closed
            i += 1
        }
        openGroups -= 1
    }

    /// The last component of `path` (trailing slashes ignored), as bytes.
    private static func baseName(_ path: PathName) -> PathName {
        var bytes = path.bytes[...]
        while bytes.count > 1, bytes.last == 0x2F { bytes = bytes.dropLast() }
        if let slash = bytes.lastIndex(of: 0x2F), slash < bytes.endIndex - 1 || bytes.count == 1 {
            return PathName(bytes: bytes[(slash + 1)...])
        }
        return PathName(bytes: bytes)
    }
}
