/**
 * The checkout reader's own guarantees, on real files: whole contents whatever the size (each
 * result a buffer of its own), and no read under a linked directory, however many files of the
 * neighbouring directories were read before.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkDirs, readRegularInside, UnsafePathError } from "../src/core/safe-read";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dsg-safe-read-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("readRegularInside", () => {
  it("reads every file whole, around the size of its first read, each into a buffer of its own", () => {
    const sizes = [0, 1, 4095, 4096, 65535, 65536, 65537, 200_000];
    const read: [number, Buffer][] = [];
    for (const size of sizes) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + size) & 255;
      fs.writeFileSync(path.join(root, `f${size}.bin`), bytes);
      read.push([size, readRegularInside(root, `f${size}.bin`) as Buffer]);
    }
    // Read after one another: an earlier result must not change when the next file is read.
    for (const [size, got] of read) expect([size, got.equals(fs.readFileSync(path.join(root, `f${size}.bin`)))]).toEqual([size, true]);
  });
});

describe("checkDirs", () => {
  it("refuses a file under a linked directory next to directories already checked", () => {
    fs.mkdirSync(path.join(root, "pkg", "real"), { recursive: true });
    fs.mkdirSync(path.join(root, "outside"));
    fs.writeFileSync(path.join(root, "pkg", "real", "a.py"), "x = 1\n");
    fs.writeFileSync(path.join(root, "outside", "b.py"), "y = 2\n");
    fs.symlinkSync(path.join(root, "outside"), path.join(root, "pkg", "linked"));
    checkDirs(root, "pkg/real/a.py");
    checkDirs(root, "pkg/real/a.py");
    let err: unknown = null;
    try {
      checkDirs(root, "pkg/linked/b.py");
    } catch (e) {
      err = e;
    }
    expect(err instanceof UnsafePathError ? err.code : err).toBe("ELINKDIR");
    expect(() => readRegularInside(root, "pkg/linked/b.py")).toThrow(UnsafePathError);
  });
});
