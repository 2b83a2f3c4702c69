import { RelocationValueError, readField, signExtend, writeField, type RelocationSite, type Relocator } from "./relocator.js";

/** One relocation type as data: its name, the bytes it patches and how. */
export interface RelocationType {
  /** `R_*` name as the psABI spells it. */
  readonly name: string;
  /** Bytes patched (0 for NONE). */
  readonly size: number;
  /** A data form: the value to store in the field in the data byte order (checked by the function itself). */
  readonly value?: (site: RelocationSite) => bigint;
  /** An instruction form: patches the field itself (instruction byte order is the arch's business). */
  readonly patch?: (site: RelocationSite) => void;
  /** REL objects: the addend held in the field (default: the field sign-extended; 0 for an empty field). */
  readonly addend?: (field: Uint8Array, littleEndian: boolean) => bigint;
}

/** What {@link defineRelocator} needs: the ELF machine, REL or RELA, and the table of types by number. */
export interface RelocatorDefinition {
  readonly elfMachine: number;
  readonly usesRela: boolean;
  readonly types: ReadonlyMap<number, RelocationType>;
}

/**
 * A {@link Relocator} from a table: names, field sizes, implicit addends and
 * the apply dispatch come from the entries, so an architecture writes only
 * each type's formula and checks. A type without `value` or `patch` is NONE.
 */
export function defineRelocator(def: RelocatorDefinition): Relocator {
  return {
    elfMachine: def.elfMachine,
    usesRela: def.usesRela,
    types: new Map([...def.types].map(([n, t]) => [n, t.name])),
    fieldSize: (type) => def.types.get(type)?.size,
    implicitAddend(type, field, littleEndian) {
      const t = def.types.get(type);
      if (t?.addend) return t.addend(field, littleEndian);
      return field.length === 0 ? 0n : signExtend(readField(field, littleEndian), field.length * 8);
    },
    apply(site) {
      const t = def.types.get(site.type);
      if (!t) throw new RelocationValueError(`relocation type ${site.type} is not implemented`);
      if (t.value) writeField(site.field, t.value(site), site.littleEndian);
      else t.patch?.(site);
    },
  };
}
