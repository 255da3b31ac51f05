/**
 * The OpenSSH client command line of a server (source/shared/shell.ts, where
 * the machines may use it too), for the host's side.
 */
export {sshArgv, type SshOptions, type SshTarget} from '../shared/shell.ts';
