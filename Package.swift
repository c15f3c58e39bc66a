// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "modelctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "modelctl", targets: ["modelctl"]),
        .library(name: "ArtifactHashing", targets: ["ArtifactHashing"]),
        .library(name: "ModelRegistry", targets: ["ModelRegistry"]),
        .library(name: "VersionLock", targets: ["VersionLock"]),
        .library(name: "ModelCatalog", targets: ["ModelCatalog"]),
        .library(name: "ModelRuntime", targets: ["ModelRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(name: "ArtifactHashing", dependencies: ["CLibCrypto"], swiftSettings: strict),
        .target(name: "ModelRegistry", swiftSettings: strict),
        .target(name: "VersionLock", dependencies: ["ModelRegistry", "ArtifactHashing"], swiftSettings: strict),
        .target(name: "HTTPSupport", swiftSettings: strict),
        .target(name: "ModelCatalog", dependencies: ["ModelRegistry", "HTTPSupport"], swiftSettings: strict),
        .target(name: "ModelRuntime", dependencies: ["ModelRegistry", "HTTPSupport"], swiftSettings: strict),
        .executableTarget(
            name: "modelctl",
            dependencies: [
                "ArtifactHashing", "ModelRegistry", "VersionLock", "ModelCatalog", "ModelRuntime", "HTTPSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "ArtifactHashingTests", dependencies: ["ArtifactHashing", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelRegistryTests", dependencies: ["ModelRegistry", "ArtifactHashing", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "VersionLockTests", dependencies: ["VersionLock", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelCatalogTests", dependencies: ["ModelCatalog", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ModelRuntimeTests", dependencies: ["ModelRuntime", "HTTPSupport", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"], swiftSettings: strict),
    ]
)
