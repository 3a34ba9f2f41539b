"""Errors a keeper reports to its operator as one readable line."""

from keepers.contracts.types import SOLIDITY_ENUMS


class KeeperError(Exception):
    """Base of every error whose str is a complete, one-line message for the operator."""


class ConfigError(KeeperError):
    """The configuration file or its environment overrides are invalid."""


class DeploymentError(KeeperError):
    """The deployment file is unreadable or belongs to another chain."""


class AccountError(KeeperError):
    """The signing key cannot be loaded."""


class InsufficientFunds(KeeperError):
    """The account cannot pay for the transaction's gas; nothing was sent and no nonce was used."""

    def __init__(self, label: str, address: str, balance: int, needed: int | None) -> None:
        self.label = label
        self.balance = balance
        self.needed = needed
        need = f"needs up to {needed} wei" if needed is not None else "the node refused it for lack of funds"
        super().__init__(
            f"{label}: not sent, account {address} cannot pay for gas: balance {balance} wei, {need}; "
            "send it ether and the keeper resumes"
        )


# ---------------------------------------------------------------- naming what a revert says
#
# A call into the market that fails inside the token reverts with the token's error, which is
# not in the market's ABI: OpenZeppelin's standard errors (ERC-6093 and the utilities the
# contracts use) are decoded beside each contract's own. Enum arguments are shown by name,
# bytes32 ids as text, addresses checksummed.

STANDARD_ERRORS: tuple[str, ...] = (
    # ERC-6093 (IERC20Errors), raised by every OpenZeppelin 5 token.
    "ERC20InsufficientBalance(address sender,uint256 balance,uint256 needed)",
    "ERC20InvalidSender(address sender)",
    "ERC20InvalidReceiver(address receiver)",
    "ERC20InsufficientAllowance(address spender,uint256 allowance,uint256 needed)",
    "ERC20InvalidApprover(address approver)",
    "ERC20InvalidSpender(address spender)",
    # ERC20Permit, Nonces, ECDSA.
    "ERC2612ExpiredSignature(uint256 deadline)",
    "ERC2612InvalidSigner(address signer,address owner)",
    "InvalidAccountNonce(address account,uint256 currentNonce)",
    "ECDSAInvalidSignature()",
    "ECDSAInvalidSignatureLength(uint256 length)",
    "ECDSAInvalidSignatureS(bytes32 s)",
    # SafeERC20, Address, ReentrancyGuard, Ownable, Pausable, SafeCast, Math.
    "SafeERC20FailedOperation(address token)",
    "SafeERC20FailedDecreaseAllowance(address spender,uint256 currentAllowance,uint256 requestedDecrease)",
    "AddressEmptyCode(address target)",
    "AddressInsufficientBalance(address account)",
    "InsufficientBalance(uint256 balance,uint256 needed)",
    "FailedCall()",
    "FailedInnerCall()",
    "ReentrancyGuardReentrantCall()",
    "OwnableUnauthorizedAccount(address account)",
    "OwnableInvalidOwner(address owner)",
    "EnforcedPause()",
    "ExpectedPause()",
    "SafeCastOverflowedUintDowncast(uint8 bits,uint256 value)",
    "SafeCastOverflowedIntToUint(int256 value)",
    "SafeCastOverflowedIntDowncast(uint8 bits,int256 value)",
    "SafeCastOverflowedUintToInt(uint256 value)",
    "MathOverflowedMulDiv()",
)

# The contracts' enums (contracts/types/DataTypes.sol) by the type name an ABI's internalType gives,
# from their one Python copy (keepers/contracts/types.py).
ENUM_NAMES: dict[str, tuple[str, ...]] = {
    name: tuple(member.name for member in enum) for name, enum in SOLIDITY_ENUMS.items()
}

# Role ids as the contracts hash them (keccak256 of the name), shown by name in errors.
ROLE_NAMES = ("MARKET_ROLE", "MATCHER_ROLE", "VERIFIER_ROLE", "ARBITER_ROLE")


def standard_error_abi() -> list[dict]:
    """`STANDARD_ERRORS` as ABI error entries."""
    entries = []
    for signature in STANDARD_ERRORS:
        name, _, rest = signature.partition("(")
        inputs = []
        for parameter in filter(None, rest.rstrip(")").split(",")):
            kind, arg = parameter.split(" ")
            inputs.append({"name": arg, "type": kind, "internalType": kind})
        entries.append({"type": "error", "name": name, "inputs": inputs})
    return entries


def show_value(value, internal_type: str | None = None) -> str:
    """One decoded error argument for people: an enum by name, a bytes32 id as text, a role by name."""
    from eth_utils import keccak, to_checksum_address  # here: errors.py is imported by everything, keep it light

    internal_type = internal_type or ""
    if internal_type.startswith("enum ") and isinstance(value, int):
        names = ENUM_NAMES.get(internal_type.removeprefix("enum "))
        return names[value] if names and value < len(names) else str(value)
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        for role in ROLE_NAMES:
            if raw == keccak(text=role):
                return role
        text = raw.rstrip(b"\0")
        if len(raw) == 32 and text and all(32 < byte < 127 for byte in text):
            return repr(text.decode("ascii"))
        return "0x" + raw.hex()
    if isinstance(value, str) and internal_type == "address":
        return to_checksum_address(value)
    return str(value)
