import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";

interface ArchJson {
  id: string;
  protocols: string[];
}

// The protocols `archs` lists are the ones the installed builders build, i.e. what `build --protocol` accepts.
describe("handoff archs --json protocols", () => {
  it("lists each architecture's protocols as its builders accept them", () => {
    const r = runCli(["archs", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { architectures } = JSON.parse(r.stdout) as { architectures: ArchJson[] };
    expect(Object.fromEntries(architectures.map((a) => [a.id, [...a.protocols].sort()]))).toEqual({
      arm32: ["kexec", "linux"],
      arm64: ["kexec", "linux"],
      x86_32: ["kexec", "linux32", "pvh"],
      x86_64: ["kexec", "linux64", "pvh"],
    });
  });

  it("every listed protocol is one `build` accepts, and an unlisted one is refused", () => {
    const { architectures } = JSON.parse(runCli(["archs", "--json"]).stdout) as { architectures: ArchJson[] };
    const dir = tempDir("handoff-archs-");
    try {
      for (const arch of architectures) {
        for (const protocol of arch.protocols) {
          const r = runCli(["build", "--arch", arch.id, "--protocol", protocol, "--probe", "--out", join(dir, `${arch.id}-${protocol}`)]);
          expect([arch.id, protocol, r.code, r.stderr]).toEqual([arch.id, protocol, 0, ""]);
        }
      }
      const refused = runCli(["build", "--arch", "arm64", "--protocol", "pvh", "--probe", "--out", join(dir, "refused")]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/pvh/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
