import { describe, expect, it } from "vitest";
import { C, CTypeEnvironment, type CDataModel, type CType } from "@handoff/core/c-abi";
import { AAPCS64_DATA_MODEL, AAPCS_DATA_MODEL } from "@handoff/arm";
import { requireTool, run } from "@handoff/test-support";

// Structs whose layout differs between ILP32 with 4-aligned long long (i386), AAPCS and AAPCS64.
const STRUCTS: Record<string, Record<string, string>> = {
  char_ll: { c: "char", x: "long long" },
  int_long: { i: "int", l: "long" },
  short_char_long: { s: "short", c: "char", l: "long" },
};
const asType = (fields: Record<string, string>): CType => C.struct(Object.fromEntries(Object.entries(fields).map(([n, t]) => [n, C.int(t as never)])));

function staticAsserts(model: CDataModel): string {
  const env = new CTypeEnvironment(model, new Map(), () => C.int("uint64_t"));
  const lines = [`_Static_assert((char)-1 ${model.charSigned ? "<" : ">"} 0, "char signedness");`];
  for (const [name, fields] of Object.entries(STRUCTS)) {
    lines.push(`struct ${name} { ${Object.entries(fields).map(([f, t]) => `${t} ${f};`).join(" ")} };`);
    const layout = env.layout(asType(fields));
    lines.push(`_Static_assert(sizeof(struct ${name}) == ${layout.size}, "${name} size");`);
    lines.push(`_Static_assert(_Alignof(struct ${name}) == ${layout.align}, "${name} align");`);
    for (const f of Object.keys(fields)) lines.push(`_Static_assert(__builtin_offsetof(struct ${name}, ${f}) == ${env.field(asType(fields), f).offset}, "${name}.${f}");`);
  }
  for (const [t, sa] of Object.entries(model.types)) {
    const c = t === "pointer" ? "void *" : t;
    lines.push(`_Static_assert(sizeof(${c}) == ${sa.size} && _Alignof(${c}) == ${sa.align}, "${t}");`);
  }
  return lines.join("\n") + "\n";
}

describe("AAPCS data models", () => {
  it("differ where the standards differ: long and pointers, not long long's alignment", () => {
    expect(AAPCS_DATA_MODEL.types["long long"]).toEqual(AAPCS64_DATA_MODEL.types["long long"]);
    expect(AAPCS_DATA_MODEL.types.long.size).toBe(4);
    expect(AAPCS64_DATA_MODEL.types.pointer.size).toBe(8);
  });

  // The compiler is the oracle: clang lays out the same structs for each target and checks our numbers.
  for (const [model, target] of [[AAPCS_DATA_MODEL, "armv7a-linux-gnueabihf"], [AAPCS64_DATA_MODEL, "aarch64-linux-gnu"]] as const) {
    it(`${model.id} lays structs out as clang --target=${target}`, () => {
      if (!requireTool("clang")) return;
      run("sh", ["-c", `printf '%s' "$1" | clang --target=${target} -ffreestanding -fsyntax-only -x c -`, "sh", staticAsserts(model)]);
    });
  }
});
