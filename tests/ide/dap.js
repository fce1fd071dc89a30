// A Debug Adapter Protocol session, as VS Code or Theia runs it with
// Eclipse CDT's cdt-gdb-adapter: attach to the server over TCP, then
// threads, the panic thread's stack, scopes and variables, memory, and
// the run-control requests, each checked against the dump fixture's
// meta.txt.
//
// Usage: node dap.js META HOST PORT   (NODE_PATH: the installed packages)
// Prints PASS/FAIL lines and "N passed, M failed"; exits with M.
'use strict';
const fs = require('fs');
const { DebugClient } = require('@vscode/debugadapter-testsupport');

const TIMEOUT = 300000;
let passes = 0;
const failures = [];

function check(name, ok, detail) {
    if (ok) {
        passes++;
        console.log('PASS ' + name);
    } else {
        failures.push(name);
        console.log('FAIL ' + name + ': ' + JSON.stringify(detail));
    }
    return ok;
}

function readMeta(path) {
    const m = {};
    for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
        const i = line.indexOf('=');
        if (i > 0 && !line.startsWith('#'))
            m[line.slice(0, i)] = line.slice(i + 1);
    }
    return m;
}

async function session(dc, m, host, port, outputs) {
    const panicTid = Number(m.CRASHER_CPU) + 1;
    const init = await dc.initializeRequest({
        adapterID: 'gdbtarget', clientID: 'vscode',
        linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path',
        supportsMemoryReferences: true, supportsRunInTerminalRequest: false,
    });
    check('initialize', init.success, init);
    check('adapter reads memory',
          init.body && init.body.supportsReadMemoryRequest, init.body);

    const initialized = dc.waitForEvent('initialized', TIMEOUT);
    const firstStop = dc.waitForEvent('stopped', TIMEOUT);
    const attach = await dc.attachRequest({
        gdb: process.env.GDB || 'gdb',
        program: m.VMLINUX,
        target: { type: 'remote', host: host, port: port },
    });
    check('attach over TCP', attach.success, attach.message);
    await initialized;
    const conf = await dc.configurationDoneRequest();
    check('configurationDone', conf.success, conf.message);
    const stop = await firstStop;
    check('stopped event for the panic thread ' + panicTid,
          stop.body.threadId === panicTid, stop.body);

    const threads = (await dc.threadsRequest()).body.threads;
    check('threads: one per CPU (' + m.NR_CPUS_ONLINE + ')',
          threads.length === Number(m.NR_CPUS_ONLINE), threads);
    const pt = threads.find((t) => t.id === panicTid);
    check('panic thread named for ' + m.CRASHER_COMM,
          pt && pt.name.includes(m.CRASHER_COMM), threads);

    const st = await dc.stackTraceRequest({ threadId: panicTid,
                                            startFrame: 0, levels: 100 });
    const frames = st.body.stackFrames;
    const names = frames.map((f) => f.name);
    for (const fn of ['panic', 'sysrq_handle_crash', 'write_sysrq_trigger'])
        check('stackTrace has ' + fn, names.includes(fn), names);
    check('frames have source lines',
          frames.filter((f) => f.source && f.line > 0).length > 5, frames);
    const sysrq = frames.find((f) => f.name === 'sysrq_handle_crash');
    const off = sysrq ? BigInt(sysrq.instructionPointerReference) -
        BigInt(m.KSYM_sysrq_handle_crash) : -1n;
    check('sysrq_handle_crash pc is in the function (KASLR applied)',
          off > 0n && off < 0x1000n, sysrq);

    // write_sysrq_trigger(file, buf, count, ppos): "echo c" wrote 2 bytes.
    const wf = frames.find((f) => f.name === 'write_sysrq_trigger');
    const scopes = wf ? (await dc.scopesRequest({ frameId: wf.id }))
        .body.scopes : [];
    check('scopes of write_sysrq_trigger()', scopes.length > 0, scopes);
    let vars = [];
    for (const s of scopes) {
        const v = await dc.variablesRequest({
            variablesReference: s.variablesReference });
        vars = vars.concat(v.body.variables);
    }
    const count = vars.find((v) => v.name === 'count');
    check('variables: write_sysrq_trigger(count) is 2',
          count && count.value === '2', vars);
    const ev = await dc.evaluateRequest({
        expression: '(char *)init_uts_ns.name.release', frameId: frames[0].id,
        context: 'watch' });
    check('evaluate: release is ' + m.UNAME_R,
          ev.success && ev.body.result.includes(m.UNAME_R), ev.body);

    if (process.env.DAP_MODULES) {
        // The server has the vmlinux and virtio_blk's file (run.sh):
        // its symbols with no command.
        const mod = await dc.evaluateRequest({
            expression: '(unsigned long)&__this_module',
            frameId: frames[0].id, context: 'watch' });
        check('evaluate: virtio_blk\'s __this_module is where the guest ' +
              'had it', mod.success && /^\d+$/.test(mod.body.result) &&
              BigInt(mod.body.result) === BigInt(m.VIRTIO_BLK_THIS_MODULE),
              mod.body);
    }

    const banner = Buffer.from(m.PROC_VERSION).subarray(0, 64);
    const mem = await dc.customRequest('readMemory', {
        memoryReference: m.KSYM_linux_banner, count: banner.length });
    const got = mem.body && mem.body.data ?
        Buffer.from(mem.body.data, 'base64') : Buffer.alloc(0);
    check('readMemory: linux_banner is /proc/version', got.equals(banner),
          { got: got.toString(), want: banner.toString() });

    // Run control: the session must survive and stay stopped.
    for (const req of ['continue', 'next', 'stepIn', 'stepOut']) {
        const stopped = dc.waitForEvent('stopped', TIMEOUT);
        const r = await dc.customRequest(req, { threadId: panicTid });
        check(req + ': request succeeds', r.success, r.message);
        const s = await stopped;
        check(req + ': stopped again in the panic thread',
              s.body.threadId === panicTid, s.body);
        const again = await dc.stackTraceRequest({ threadId: panicTid,
                                                   startFrame: 0, levels: 100 });
        check(req + ': same stack',
              JSON.stringify(again.body.stackFrames.map((f) => f.name)) ===
              JSON.stringify(names), again.body.stackFrames.map((f) => f.name));
    }
    // Pause: the target is already stopped; the request must not hang.
    const pause = await dc.pauseRequest({ threadId: panicTid });
    check('pause: request answered', pause.success, pause.message);
    check('console says the dump cannot run',
          outputs.some((o) => o.includes('crash dump')), outputs);
    const th = await dc.threadsRequest();
    check('threads after run control', th.success &&
          th.body.threads.length === threads.length, th.body);
    const disc = await dc.disconnectRequest({});
    check('disconnect', disc.success, disc.message);
}

async function main() {
    const [metaPath, host, port] = process.argv.slice(2);
    const m = readMeta(metaPath);
    const adapter = require.resolve('cdt-gdb-adapter/dist/debugTargetAdapter.js');
    const dc = new DebugClient('node', adapter, 'gdbtarget', {}, true);
    dc.defaultTimeout = TIMEOUT;
    const outputs = [];
    dc.on('output', (e) => outputs.push(e.body.output));
    await dc.start();
    try {
        await session(dc, m, host, Number(port), outputs);
    } catch (e) {
        check('session ran to its end', false, String(e && e.stack || e));
        console.log(outputs.join(''));
    }
    dc.stopAdapter();
    console.log(passes + ' passed, ' + failures.length + ' failed' +
                (failures.length ? ': ' + failures.join(', ') : ''));
    process.exit(failures.length);
}

main();
