// Optional cross-check of the msgpack vectors with the real go-cty codec (Debian's
// golang-github-zclconf-go-cty-dev, built in GOPATH mode). For every vector, go-cty must accept
// our bytes against the type, and what it writes back must decode (with our decoder) to an equal
// value. Byte identity is not required: go-cty writes integers above int64 as strings and may
// pick other int widths. Skipped, with the reason, when Go or go-cty is not installed.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from '@jest/globals';
import { decodeDynamic, equalValues, typeToJSON } from '../../../../provider/values';
import { VECTORS } from '../../../fixtures/msgpack-vectors';
import { skipping } from '../../../helpers/skip';

const GOCODE = process.env.GOCTY_GOPATH ?? '/usr/share/gocode';

function skipReason(): string | false {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    return 'Go is not installed (optional go-cty cross-check)';
  }
  if (!existsSync(join(GOCODE, 'src/github.com/zclconf/go-cty/cty/msgpack'))) {
    return `go-cty sources not found under ${GOCODE} (apt package golang-github-zclconf-go-cty-dev)`;
  }
  return false;
}

const GO_PROGRAM = `package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		if len(parts) != 2 {
			fmt.Println("err bad input line")
			continue
		}
		typeJSON, err1 := hex.DecodeString(parts[0])
		packed, err2 := hex.DecodeString(parts[1])
		if err1 != nil || err2 != nil {
			fmt.Println("err bad hex")
			continue
		}
		ty, err := ctyjson.UnmarshalType(typeJSON)
		if err != nil {
			fmt.Println("err type:", err)
			continue
		}
		val, err := ctymsgpack.Unmarshal(packed, ty)
		if err != nil {
			fmt.Println("err unmarshal:", strings.ReplaceAll(err.Error(), "\\n", " "))
			continue
		}
		out, err := ctymsgpack.Marshal(val, ty)
		if err != nil {
			fmt.Println("err marshal:", strings.ReplaceAll(err.Error(), "\\n", " "))
			continue
		}
		fmt.Println("ok", hex.EncodeToString(out))
	}
}
`;

const skip = skipReason();

(skipping(skip, 'the go-cty cross-check') ? describe.skip : describe)('go-cty cross-check of the msgpack vectors', () => {
  const work = skip ? '' : mkdtempSync(join(tmpdir(), 'gocty-'));
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('go-cty accepts every vector and its re-encoding decodes to the same value', () => {
    const dir = join(work, 'src', 'ctycheck');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.go'), GO_PROGRAM);
    const input = VECTORS.map((v) => `${Buffer.from(typeToJSON(v.type)).toString('hex')} ${v.hex.replace(/\s+/g, '')}`).join('\n') + '\n';
    const run = spawnSync('go', ['run', 'main.go'], {
      cwd: dir,
      input,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: `${work}:${GOCODE}`, GOCACHE: join(work, 'cache'), GOFLAGS: '' },
    });
    assert.equal(run.status, 0, `go run failed: ${run.stderr}`);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, VECTORS.length);
    VECTORS.forEach((v, i) => {
      const [status, rest] = [lines[i].slice(0, lines[i].indexOf(' ')), lines[i].slice(lines[i].indexOf(' ') + 1)];
      assert.equal(status, 'ok', `${v.name}: go-cty says ${rest}`);
      const theirs = decodeDynamic(new Uint8Array(Buffer.from(rest, 'hex')), v.type);
      const ours = decodeDynamic(new Uint8Array(Buffer.from(v.hex.replace(/\s+/g, ''), 'hex')), v.type);
      assert.ok(equalValues(theirs, ours, v.type), `${v.name}: go-cty wrote ${rest}`);
    });
  }, 300_000); // go run compiles go-cty first: minutes on a cold build cache
});
