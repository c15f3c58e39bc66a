import ArgumentParser

extension ModelCtl {
    /// Every subcommand, in the order `--help` lists them.
    static let commandList: [any ParsableCommand.Type] = [
        InitCommand.self,
        AddCommand.self,
        HashCommand.self,
        ScanCommand.self,
        ListCommand.self,
        ShowCommand.self,
        VerifyCommand.self,
        SignCommand.self,
        LockCommand.self,
        UnlockCommand.self,
        MetricsCommand.self,
        CheckCommand.self,
        ModelsCommand.self,
        SelectCommand.self,
        ProbeVisionCommand.self,
        ExecCommand.self,
        ActivateModelCommand.self,
        CurrentModelCommand.self,
    ]
}
