#!/usr/bin/env node
// The command line: `smtpclient send ...` and `smtpclient deliver ...` with host-example's
// flags, `--json` report and exit codes (DESIGN.md "The command line"); `smtpclient
// component` prints the transpiled component's file and SHA-256.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { Client } from './index.mjs';
import { COMPONENT_FILE, NotBuiltError, componentSha256 } from './component.mjs';
import { ComponentTrap, MessageFileError, UsageError } from './errors.mjs';
import { stderrLogger } from './imports/log.mjs';
import { EXIT, exitCode, reportJson, reportText } from './report.mjs';

/** Thrown to end the program with `code` after printing `message` on stderr. */
class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const collect = (value, previous) => [...previous, value];
const commaList = (value, previous) => [...previous, ...value.split(',').filter(Boolean)];
const count = (_, previous) => previous + 1;
const seconds = (value) => {
  if (!/^\d+$/.test(value)) throw new Exit(EXIT.USAGE, `--timeout wants whole seconds, got ${JSON.stringify(value)}`);
  return Number(value);
};

/** The contents of `path`, or exit 66 naming it. */
function readInput(path, what) {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Exit(EXIT.NOINPUT, `cannot read ${what} ${path}: ${error.message}`);
  }
}

/** The message: a file path, or standard input ("-" or absent) read whole. */
function messageArg(path) {
  if (path !== undefined && path !== '-') return path;
  try {
    return readFileSync(0);
  } catch (error) {
    throw new Exit(EXIT.NOINPUT, `cannot read the message from standard input: ${error.message}`);
  }
}

/** The flags both subcommands share. */
function mailOptions(command) {
  return command
    .requiredOption('--from <ADDR>', 'the envelope sender (MAIL FROM); "" for the null sender')
    .requiredOption('--to <ADDR>', 'a recipient (RCPT TO); repeat for more', collect, [])
    .option('--message <FILE|->', 'the message file; "-" or absent: standard input')
    .option('--8bitmime', 'the message has 8-bit content (BODY=8BITMIME, RFC 6152)')
    .option('--smtputf8', 'the message needs SMTPUTF8 (RFC 6531)')
    .option('--requiretls', 'ask for REQUIRETLS (RFC 8689)')
    .option('--ehlo <NAME>', "the name announced in EHLO; by default the machine's name")
    .option('--ca <FILE.pem>', 'trust the certificates of this PEM file for PKIX; repeat for more', collect, [])
    .option('--dns <IP[:PORT]>', 'use this DNS resolver (trusted for DNSSEC)')
    .option('--timeout <SECONDS>', 'replace every per-phase deadline (connect, each reply, each write)', seconds)
    .option('--json', 'print one JSON object on stdout')
    .option('-v, --verbose', '-v: SMTP transcript on stderr; -vv: also debug lines', count, 0);
}

/** The API options both subcommands share, from the parsed flags. */
function commonOptions(flags) {
  return {
    from: flags.from,
    to: flags.to,
    message: messageArg(flags.message),
    eightBitMime: Boolean(flags['8bitmime']),
    smtputf8: Boolean(flags.smtputf8),
    requireTls: Boolean(flags.requiretls),
    ehlo: flags.ehlo,
    ca: flags.ca.map((file) => readInput(file, 'ca file')),
    timeout: flags.timeout,
  };
}

function sendOptions(flags) {
  let password;
  if (flags.user !== undefined) {
    if (flags.passwordFile !== undefined) {
      password = readInput(flags.passwordFile, 'password file').split('\n')[0].replace(/\r$/, '');
    } else if (process.env.SMTP_PASSWORD !== undefined) {
      password = process.env.SMTP_PASSWORD;
    } else {
      throw new Exit(EXIT.USAGE, '--user needs --password-file or the SMTP_PASSWORD environment variable');
    }
  } else if (flags.passwordFile !== undefined || flags.auth.length > 0) {
    throw new Exit(EXIT.USAGE, '--password-file and --auth need --user');
  }
  if ((flags.clientCert === undefined) !== (flags.clientKey === undefined)) {
    throw new Exit(EXIT.USAGE, '--client-cert and --client-key go together');
  }
  return {
    ...commonOptions(flags),
    server: flags.server,
    tls: flags.tls,
    verify: flags.verify,
    tlsa: flags.tlsa,
    user: flags.user,
    password,
    auth: flags.auth,
    clientCertificate: flags.clientCert === undefined ? undefined : {
      chainPem: readInput(flags.clientCert, 'client certificate'),
      keyPem: readInput(flags.clientKey, 'client key'),
    },
    normalize: Boolean(flags.normalize),
  };
}

function deliverOptions(flags) {
  return {
    ...commonOptions(flags),
    port: flags.port,
    tlsLevel: flags.tlsLevel,
    tlsRequiredNo: Boolean(flags.tlsRequiredNo),
    stsCache: flags.stsCache,
    allowPrivateAddresses: Boolean(flags.allowPrivateAddresses),
  };
}

/** Runs one subcommand: the report printed, its exit code returned. */
async function run(flags, options, method) {
  const client = new Client({ dns: flags.dns, logger: stderrLogger(flags.verbose) });
  try {
    const report = await client[method](options);
    process.stdout.write(flags.json ? `${reportJson(report)}\n` : reportText(report));
    return exitCode(report);
  } finally {
    await client.close();
  }
}

function program() {
  const root = new Command('smtpclient')
    .description('Run the smtpclient WebAssembly component in Node.js')
    .exitOverride()
    .showHelpAfterError(false);
  let action;
  mailOptions(root.command('send').description('Submit a message to a server (msmtp-style)'))
    .requiredOption('--server <HOST[:PORT]>', 'the server (an IPv6 address in brackets: [::1]:587)')
    .addOption(new Option('--tls <MODE>', 'how TLS is used; by default STARTTLS on 587 and immediate TLS on 465')
      .choices(['immediate', 'starttls', 'opportunistic', 'none']))
    .option('--no-verify', "do not verify the server's certificate (PKIX)")
    .option('--tlsa <U S M HEX>', 'require DANE with this TLSA record; repeat for more', collect, [])
    .option('--user <NAME>', 'authenticate as this user; the password from --password-file or SMTP_PASSWORD')
    .option('--password-file <FILE>', 'the file whose first line is the password for --user')
    .option('--auth <MECH[,MECH...]>', 'SASL mechanisms to consider, most preferred first', commaList, [])
    .option('--client-cert <FILE.pem>', 'present this certificate chain (PEM, leaf first)')
    .option('--client-key <FILE.pem>', 'the private key of --client-cert')
    .option('--normalize', 'turn bare CR and LF in the message into CRLF instead of refusing it')
    .action((flags) => { action = () => run(flags, sendOptions(flags), 'sendReport'); });
  mailOptions(root.command('deliver').description("Deliver a message to the MX hosts of its recipients' domains"))
    .option('--port <N>', 'the SMTP port of the MX hosts', (v) => Number(v), 25)
    .addOption(new Option('--tls-level <LEVEL>', 'the lowest TLS level (Postfix names)')
      .choices(['may', 'encrypt', 'dane', 'dane-only', 'verify', 'secure']).default('dane'))
    .option('--tls-required-no', '"TLS-Required: No" (RFC 8689): deliver despite TLS verification failures')
    .option('--sts-cache <DIR>', 'keep MTA-STS policies in this directory')
    .option('--allow-private-addresses', 'dial MX hosts at loopback and private addresses too (tests, labs)')
    .action((flags) => { action = () => run(flags, deliverOptions(flags), 'deliverReport'); });
  root.command('component')
    .description('Print the transpiled component file and its SHA-256 as JSON')
    .action(() => {
      action = async () => {
        process.stdout.write(`${JSON.stringify({ file: COMPONENT_FILE.pathname, sha256: componentSha256() })}\n`);
        return EXIT.OK;
      };
    });
  return { root, action: () => action() };
}

/** The exit code for an error that ended the run. */
function failure(error) {
  if (error instanceof Exit) return [error.code, error.message];
  if (error instanceof CommanderError) {
    return [error.exitCode === 0 ? EXIT.OK : EXIT.USAGE, null];
  }
  if (error instanceof UsageError) return [EXIT.USAGE, error.message];
  if (error instanceof MessageFileError) return [EXIT.NOINPUT, error.message];
  if (error instanceof ComponentTrap || error instanceof NotBuiltError) return [EXIT.SOFTWARE, error.message];
  return [EXIT.SOFTWARE, `internal error: ${error?.stack ?? error}`];
}

async function main(argv) {
  const { root, action } = program();
  try {
    root.parse(argv);
    return await action();
  } catch (error) {
    const [code, message] = failure(error);
    if (message) process.stderr.write(`smtpclient: ${message}\n`);
    return code;
  }
}

process.exit(await main(process.argv));
