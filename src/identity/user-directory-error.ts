// The errors of the user directory (src/identity/users.ts), one class with a closed list of codes.
import { CodedError } from '../errors.ts';

/**
 * - `unknown_user`: no record with that id.
 * - `owner_protected`: the owner's own record cannot be removed or denied (they would lock
 *   themselves out of their own servers); the message says so, for the owner to read.
 */
export const USER_DIRECTORY_ERROR_CODES = ['unknown_user', 'owner_protected'] as const;
export type UserDirectoryErrorCode = (typeof USER_DIRECTORY_ERROR_CODES)[number];

export class UserDirectoryError extends CodedError<UserDirectoryErrorCode> {
  constructor(code: UserDirectoryErrorCode, message: string, readonly userId: string) {
    super(code, message, { expose: true });
  }
}

/** A user id the directory does not know. */
export class UnknownUserError extends UserDirectoryError {
  constructor(userId: string) {
    super('unknown_user', `no user with id ${userId}`, userId);
  }
}
