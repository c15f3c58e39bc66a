import Foundation
import Testing
import TestSupport

/// Independent checkers for the machine formats modelctl writes: a Prometheus text-format
/// parser, a JUnit XSD (validated with xmllint or lxml when either is there), a JSON Schema
/// subset validator, and the Python reference parsers when `.build-test/venv` exists.
enum FormatCheckers {
    // MARK: Python reference parsers (optional)

    /// `.build-test/venv/bin/python` when the venv exists (made by `make interop`); nil offline.
    static var venvPython: String? {
        let path = repositoryRoot + "/.build-test/venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Whether `module` imports in the venv.
    static func venvHas(_ module: String) -> Bool {
        guard let python = venvPython else { return false }
        return (try? runProcess(python, ["-c", "import \(module)"]).status) == 0
    }

    // MARK: Prometheus text format

    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    enum ParseError: Error, CustomStringConvertible {
        case bad(line: Int, String)
        var description: String { if case .bad(let line, let why) = self { "line \(line): \(why)" } else { "" } }
    }

    /// Parses the exposition format as the text-format spec defines it: `# HELP name text`,
    /// `# TYPE name type` before a family's samples (at most once each), samples
    /// `name{label="value",...} number`, label values with `\\`, `\"` and `\n` escapes only.
    /// Returns the samples and the type of each family.
    static func parsePrometheus(_ text: String) throws -> (samples: [Sample], types: [String: String], helps: [String: String]) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        var helps: [String: String] = [:]
        var sampled: Set<String> = []
        let namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
        guard text.hasSuffix("\n") else { throw ParseError.bad(line: 0, "does not end with a newline") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let n = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard parts.count == 4, (try? namePattern.wholeMatch(in: String(parts[2]))) != nil else { throw ParseError.bad(line: n, "bad comment") }
                let name = String(parts[2])
                guard !sampled.contains(name) else { throw ParseError.bad(line: n, "\(parts[1]) after samples of \(name)") }
                if parts[1] == "TYPE" {
                    guard types[name] == nil, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[3])) else {
                        throw ParseError.bad(line: n, "bad or repeated TYPE")
                    }
                    types[name] = String(parts[3])
                } else {
                    guard helps[name] == nil else { throw ParseError.bad(line: n, "repeated HELP") }
                    helps[name] = String(parts[3])
                }
                continue
            }
            if line.hasPrefix("#") { continue }
            var rest = Substring(line)
            let name = String(rest.prefix { $0 != "{" && $0 != " " })
            guard (try? namePattern.wholeMatch(in: name)) != nil else { throw ParseError.bad(line: n, "bad metric name") }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = String(rest.prefix { $0 != "=" })
                    guard (try? /^[a-zA-Z_][a-zA-Z0-9_]*$/.wholeMatch(in: key)) != nil else { throw ParseError.bad(line: n, "bad label name") }
                    rest = rest.dropFirst(key.count)
                    guard rest.hasPrefix("=\"") else { throw ParseError.bad(line: n, "label without quoted value") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while true {
                        guard let c = rest.first else { throw ParseError.bad(line: n, "unterminated label value") }
                        rest = rest.dropFirst()
                        if c == "\"" { break }
                        if c == "\\" {
                            guard let e = rest.first else { throw ParseError.bad(line: n, "dangling escape") }
                            rest = rest.dropFirst()
                            switch e {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw ParseError.bad(line: n, "bad escape \\\(e)")
                            }
                        } else {
                            value.append(c)
                        }
                    }
                    guard labels.updateValue(value, forKey: key) == nil else { throw ParseError.bad(line: n, "repeated label") }
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { throw ParseError.bad(line: n, "no value") }
            let fields = rest.dropFirst().split(separator: " ")
            guard (1...2).contains(fields.count) else { throw ParseError.bad(line: n, "bad value") }
            let text = String(fields[0])
            let value: Double? = switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
            guard let value else { throw ParseError.bad(line: n, "bad value \(text)") }
            guard types[name] != nil else { throw ParseError.bad(line: n, "sample of \(name) without TYPE") }
            sampled.insert(name)
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return (samples, types, helps)
    }

    /// The samples as `prometheus_client.parser` reads them: `name|k=v,k=v|value` lines.
    static func pythonPrometheusSamples(_ file: String) throws -> [String]? {
        guard let python = venvPython, venvHas("prometheus_client") else { return nil }
        let script = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                if not family.documentation: raise SystemExit("no HELP for " + family.name)
                if family.type != "gauge": raise SystemExit("not a gauge: " + family.name)
                for s in family.samples:
                    out.append([s.name, s.labels, s.value])
            print(json.dumps(out))
            """
        let result = try runProcess(python, ["-c", script, file])
        #expect(result.status == 0, "prometheus_client: \(result.stderr)")
        guard let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Any]] else { return [] }
        return rows.map { row in
            let labels = (row[1] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return "\(row[0])|\(labels)|\(row[2])"
        }
    }

    // MARK: JUnit

    /// The JUnit XML shape CI systems read (after the Ant/Jenkins junit XSD): counts on the
    /// suite, name/classname/time on each case, at most one of skipped/error/failure.
    static let junitXSD = """
        <?xml version="1.0" encoding="UTF-8"?>
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
          <xs:simpleType name="time"><xs:restriction base="xs:decimal"><xs:minInclusive value="0"/></xs:restriction></xs:simpleType>
          <xs:simpleType name="timestamp">
            <xs:restriction base="xs:dateTime"><xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"/></xs:restriction>
          </xs:simpleType>
          <xs:complexType name="message">
            <xs:simpleContent>
              <xs:extension base="xs:string">
                <xs:attribute name="message" type="xs:string"/>
                <xs:attribute name="type" type="xs:string"/>
              </xs:extension>
            </xs:simpleContent>
          </xs:complexType>
          <xs:element name="testsuites">
            <xs:complexType>
              <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
              <xs:attribute name="name" type="xs:string"/>
              <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
              <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
              <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
              <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
              <xs:attribute name="time" type="time"/>
            </xs:complexType>
          </xs:element>
          <xs:element name="testsuite">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="properties" minOccurs="0">
                  <xs:complexType><xs:sequence>
                    <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                      <xs:complexType>
                        <xs:attribute name="name" type="xs:string" use="required"/>
                        <xs:attribute name="value" type="xs:string" use="required"/>
                      </xs:complexType>
                    </xs:element>
                  </xs:sequence></xs:complexType>
                </xs:element>
                <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
                <xs:element name="system-out" type="xs:string" minOccurs="0"/>
                <xs:element name="system-err" type="xs:string" minOccurs="0"/>
              </xs:sequence>
              <xs:attribute name="name" type="xs:string" use="required"/>
              <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
              <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
              <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
              <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
              <xs:attribute name="time" type="time" use="required"/>
              <xs:attribute name="timestamp" type="timestamp" use="required"/>
              <xs:attribute name="hostname" type="xs:string" use="required"/>
              <xs:attribute name="id" type="xs:int"/>
              <xs:attribute name="package" type="xs:string"/>
            </xs:complexType>
          </xs:element>
          <xs:element name="testcase">
            <xs:complexType>
              <xs:sequence>
                <xs:choice minOccurs="0">
                  <xs:element name="skipped">
                    <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
                      <xs:attribute name="message" type="xs:string"/>
                    </xs:extension></xs:simpleContent></xs:complexType>
                  </xs:element>
                  <xs:element name="error" type="message"/>
                  <xs:element name="failure" type="message"/>
                </xs:choice>
                <xs:element name="system-out" type="xs:string" minOccurs="0"/>
                <xs:element name="system-err" type="xs:string" minOccurs="0"/>
              </xs:sequence>
              <xs:attribute name="name" type="xs:string" use="required"/>
              <xs:attribute name="classname" type="xs:string" use="required"/>
              <xs:attribute name="time" type="time" use="required"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        """

    /// Validates `file` against ``junitXSD`` with xmllint, else lxml in the venv. Returns
    /// whether a validator ran.
    @discardableResult
    static func validateJUnitSchema(_ file: String, in dir: TemporaryDirectory) throws -> Bool {
        let xsd = try dir.write("junit.xsd", junitXSD)
        for xmllint in ["/usr/bin/xmllint", "/usr/local/bin/xmllint"] where FileManager.default.isExecutableFile(atPath: xmllint) {
            let result = try runProcess(xmllint, ["--noout", "--schema", xsd, file])
            #expect(result.status == 0, "xmllint: \(result.stderr)")
            return true
        }
        if let python = venvPython, venvHas("lxml") {
            let result = try runProcess(python, ["-c", """
                import sys
                from lxml import etree
                schema = etree.XMLSchema(etree.parse(sys.argv[1]))
                doc = etree.parse(sys.argv[2])
                if not schema.validate(doc): raise SystemExit(str(schema.error_log))
                """, xsd, file])
            #expect(result.status == 0, "lxml XSD: \(result.stdout)\(result.stderr)")
            return true
        }
        return false
    }

    /// `name|classname|outcome|message` per case, as junitparser reads the file; nil without it.
    static func junitparserCases(_ file: String) throws -> [String]? {
        guard let python = venvPython, venvHas("junitparser") else { return nil }
        let result = try runProcess(python, ["-c", """
            import sys
            from junitparser import JUnitXml
            for suite in JUnitXml.fromfile(sys.argv[1]):
                for case in suite:
                    kinds = [r._tag for r in case.result]
                    print(case.name.replace("\\n", "\\\\n"), case.classname, kinds[0] if kinds else "passed", sep="|")
            """, file])
        #expect(result.status == 0, "junitparser: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    // MARK: JSON Schema (the subset docs/modelctl-output.schema.json uses)

    /// The problems of `value` against the definition `name` of docs/modelctl-output.schema.json;
    /// empty when it conforms. Also runs the Python `jsonschema` validator when the venv has it.
    static func jsonProblems(_ json: String, definition name: String, array: Bool = false) throws -> [String] {
        let schemaPath = repositoryRoot + "/docs/modelctl-output.schema.json"
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: schemaPath))) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: Any])
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        var problems: [String] = []
        let root: [String: Any] = array ? ["type": "array", "items": ["$ref": "#/$defs/\(name)"]] : ["$ref": "#/$defs/\(name)"]
        validate(value, root, defs, "$", &problems)
        if let python = venvPython, venvHas("jsonschema") {
            let result = try runProcess(python, ["-c", """
                import sys, json, jsonschema
                schema = json.load(open(sys.argv[1]))
                ref = {"$ref": "#/$defs/" + sys.argv[2]}
                sub = {"type": "array", "items": ref} if sys.argv[3] == "1" else ref
                sub["$defs"] = schema["$defs"]
                jsonschema.validate(json.loads(sys.stdin.read()), sub, cls=jsonschema.Draft202012Validator)
                """, schemaPath, name, array ? "1" : "0"], stdin: json)
            if result.status != 0 { problems.append("jsonschema: \(result.stderr.suffix(600))") }
        }
        return problems
    }

    private static func isBool(_ v: Any) -> Bool { String(describing: type(of: v)).contains("Boolean") || type(of: v) == Bool.self }

    private static func validate(_ value: Any, _ schema: [String: Any], _ defs: [String: Any], _ at: String, _ problems: inout [String]) {
        if let ref = schema["$ref"] as? String, let def = defs[String(ref.split(separator: "/").last!)] as? [String: Any] {
            validate(value, def, defs, at, &problems)
        }
        if let options = schema["anyOf"] as? [[String: Any]] {
            let ok = options.contains { option in
                var sub: [String] = []
                validate(value, option, defs, at, &sub)
                return sub.isEmpty
            }
            if !ok { problems.append("\(at): matches no alternative") }
        }
        if let expected = schema["const"] {
            if "\(expected)" != "\(value)" || isBool(value) { problems.append("\(at): is not \(expected)") }
        }
        if let options = schema["enum"] as? [Any] {
            if !options.contains(where: { "\($0)" == "\(value)" && !isBool(value) }) { problems.append("\(at): \(value) not in \(options)") }
        }
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }) {
            let matches = types.contains { type in
                switch type {
                case "null": value is NSNull
                case "boolean": isBool(value)
                case "string": value is String
                case "integer": !isBool(value) && (value as? Double).map { $0 == $0.rounded() } == true
                case "number": !isBool(value) && value is Double
                case "array": value is [Any]
                case "object": value is [String: Any]
                default: false
                }
            }
            if !matches { problems.append("\(at): \(value) is not \(types)") }
        }
        if let minimum = schema["minimum"] as? Double, let number = value as? Double, !isBool(value), number < minimum {
            problems.append("\(at): below \(minimum)")
        }
        if let pattern = schema["pattern"] as? String, let string = value as? String,
           string.range(of: pattern, options: .regularExpression) == nil {
            problems.append("\(at): '\(string)' does not match \(pattern)")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(at): no \(key)") }
            for (key, sub) in schema["properties"] as? [String: [String: Any]] ?? [:] {
                if let member = object[key] { validate(member, sub, defs, "\(at).\(key)", &problems) }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, item) in array.enumerated() { validate(item, items, defs, "\(at)[\(i)]", &problems) }
        }
    }
}
