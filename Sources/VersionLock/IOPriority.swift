/// The I/O priority of this process, for verify runs from cron.
public enum IOPriority {
    /// Lowers this process's I/O priority to the idle class, so a nightly verify yields the
    /// disk to everything else (Linux `ioprio_set`, as `ionice -c 3` does).
    ///
    /// - Returns: whether the priority was lowered (`false` on other systems, or when the
    ///   kernel refuses).
    @discardableResult
    public static func lowerToIdle() -> Bool { LockPlatform.setIdleIOPriority() }
}
