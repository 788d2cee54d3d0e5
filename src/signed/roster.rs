//! A roster: who signs votes, with which keys, in which roles, from when until when — itself
//! evidence, each version signed by a quorum of the previous version's admins.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::error::{RosterError, VoteFinding};
use super::key::ReviewerKey;
use super::signature::ROSTER_NAMESPACE;
use super::statement::VoteStatement;
use crate::value::VoteSignature;
use crate::value::canonical::{label, list, option, text, u32, u64};
use crate::value::hash::Head;
use crate::value::{Timestamp, identity};

/// One key of one person, with the roles the roster gives them while it is valid: from `from`
/// (inclusive) until `until` (exclusive; none: still valid). A rotated key is a second entry
/// for the same id; a person who left has an `until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    id: String,
    key: ReviewerKey,
    #[serde(default)]
    roles: Vec<String>,
    from: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<Timestamp>,
}

impl Member {
    /// The roles, as held.
    pub(crate) fn role_names(&self) -> &[String] {
        &self.roles
    }

    /// `id`'s key `key`, valid from `from`, with no role yet.
    pub fn new(id: &str, key: ReviewerKey, from: Timestamp) -> Self {
        Self {
            id: id.to_owned(),
            key,
            roles: Vec::new(),
            from,
            until: None,
        }
    }

    /// With the role `role`.
    #[must_use]
    pub fn with_role(mut self, role: &str) -> Self {
        self.roles.push(role.to_owned());
        self
    }

    /// Valid until `until` (exclusive): the key was rotated, or its holder left.
    #[must_use]
    pub fn until(mut self, until: Timestamp) -> Self {
        self.until = Some(until);
        self
    }

    /// The person's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key.
    pub fn key(&self) -> ReviewerKey {
        self.key
    }

    /// The roles the roster gives the key's holder.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        self.roles.iter().map(String::as_str)
    }

    /// When the key's validity begins (inclusive).
    pub fn valid_from(&self) -> Timestamp {
        self.from
    }

    /// When the key's validity ends (exclusive), if it does.
    pub fn valid_until(&self) -> Option<Timestamp> {
        self.until
    }

    /// Whether the key is valid at `at`.
    pub fn valid_at(&self, at: Timestamp) -> bool {
        self.from <= at && self.until.is_none_or(|until| at < until)
    }
}

/// An admin's Ed25519 signature over a roster version's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSignature {
    key: ReviewerKey,
    signature: VoteSignature,
}

/// One version of a roster: its number, the hash of the version before (none for the first),
/// its admins and how many of them must sign the next version, and its members. The members
/// state the whole history (every key with its validity), so the latest version answers for
/// any time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterVersion {
    number: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<Head>,
    admins: Vec<ReviewerKey>,
    threshold: u32,
    members: Vec<Member>,
    #[serde(default)]
    signatures: Vec<AdminSignature>,
}

impl RosterVersion {
    /// The first version: `admins`, of whom `threshold` sign each version (this one included),
    /// and `members`. Unsigned: see [`sign`](Self::sign).
    pub fn first(admins: Vec<ReviewerKey>, threshold: u32, members: Vec<Member>) -> Self {
        Self {
            number: 1,
            previous: None,
            admins,
            threshold,
            members,
            signatures: Vec::new(),
        }
    }

    /// The version after this one, with its own admins, threshold and members; it counts only
    /// once signed by `threshold` of this version's admins.
    pub fn next(&self, admins: Vec<ReviewerKey>, threshold: u32, members: Vec<Member>) -> Self {
        Self {
            number: self.number.saturating_add(1),
            previous: Some(self.hash()),
            admins,
            threshold,
            members,
            signatures: Vec::new(),
        }
    }

    /// The bytes an admin signs: everything but the signatures.
    ///
    /// ```text
    /// roster version = text "modelgate.roster", u32 format_version (1), u64 number,
    ///                  option<hash> previous, list<key> admins, u32 threshold, list<member>
    /// member         = text id, key, list<text> roles, u64 from (ms), option<u64> until (ms)
    /// key            = its 32 bytes
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        label(&mut out, "modelgate.roster");
        u32(&mut out, 1);
        u64(&mut out, self.number);
        option(&mut out, self.previous.as_ref(), |out, h| {
            out.put(h.as_bytes())
        });
        list(&mut out, &self.admins, |out, k| out.put(k.as_bytes()));
        u32(&mut out, self.threshold);
        list(&mut out, &self.members, |out, m| {
            text(out, &m.id);
            out.put(m.key.as_bytes());
            list(out, &m.roles, |out, r| text(out, r));
            u64(out, m.from.as_unix_millis());
            option(out, m.until.as_ref(), |out, t| u64(out, t.as_unix_millis()));
        });
        out
    }

    /// The version's hash (SHA-256 of [`to_bytes`](Self::to_bytes)): what the next version
    /// names as its previous, and what a host pins for the first.
    pub fn hash(&self) -> Head {
        Head::from_bytes(Sha256::digest(self.to_bytes()).into())
    }

    /// Adds the signature of the admin whose 32-byte secret seed is `seed`.
    pub fn sign(&mut self, seed: &[u8; 32]) {
        let signature = VoteSignature::sign_ed25519_bytes(&self.to_bytes(), seed);
        self.add_signature(ReviewerKey::from_seed(seed), signature);
    }

    /// Adds the signature of an admin's unencrypted OpenSSH `ssh-ed25519` private key (the
    /// text of its file), as `ssh-keygen -Y sign -n modelgate-roster` makes it.
    ///
    /// # Errors
    ///
    /// [`SignatureError::PrivateKey`](super::SignatureError::PrivateKey) for a key that is not
    /// OpenSSH's format, is encrypted, or is of another type; nothing is added.
    pub fn sign_ssh(&mut self, openssh_private_key: &str) -> Result<(), super::SignatureError> {
        let signature =
            VoteSignature::sign_ssh_bytes(&self.to_bytes(), openssh_private_key, ROSTER_NAMESPACE)?;
        match signature.signer() {
            Some(key) => {
                self.add_signature(key, signature);
                Ok(())
            }
            None => Err(super::SignatureError::PrivateKey {
                why: "its signature names no key".to_owned(),
            }),
        }
    }

    /// Adds an admin's signature made elsewhere over [`to_bytes`](Self::to_bytes): raw
    /// Ed25519, or OpenSSH (`ssh-keygen -Y sign -n modelgate-roster -f admin_key version.bin`,
    /// [`ROSTER_NAMESPACE`](super::ROSTER_NAMESPACE)). Whether it counts is checked by
    /// [`Roster::verify`].
    pub fn add_signature(&mut self, key: ReviewerKey, signature: VoteSignature) {
        self.signatures.push(AdminSignature { key, signature });
    }

    /// The version's number, from 1.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// How many distinct admins of `signers` signed this version's bytes.
    fn signed_by(&self, signers: &[ReviewerKey]) -> usize {
        let bytes = self.to_bytes();
        let mut counted = BTreeSet::new();
        for s in &self.signatures {
            let ok = signers.contains(&s.key)
                && !counted.contains(&s.key)
                && s.signature
                    .verify_bytes(&bytes, &s.key, ROSTER_NAMESPACE)
                    .is_ok();
            if ok {
                counted.insert(s.key);
            }
        }
        counted.len()
    }

    fn check_shape(&self) -> Result<(), RosterError> {
        let number = self.number;
        let admins = self.admins.len();
        if self.threshold == 0 || usize::try_from(self.threshold).map_or(true, |t| t > admins) {
            return Err(RosterError::Threshold {
                number,
                threshold: self.threshold,
                admins,
            });
        }
        let mut seen = BTreeSet::new();
        if let Some(key) = self.admins.iter().find(|k| !seen.insert(**k)) {
            return Err(RosterError::DuplicateAdmin { number, key: *key });
        }
        let mut holders: BTreeMap<ReviewerKey, &str> = BTreeMap::new();
        for m in &self.members {
            crate::value::text::check("id", &m.id).map_err(|error| RosterError::Member {
                number,
                id: m.id.clone(),
                why: error.to_string(),
            })?;
            for role in &m.roles {
                crate::value::text::check("role", role).map_err(|error| RosterError::Member {
                    number,
                    id: m.id.clone(),
                    why: error.to_string(),
                })?;
            }
            if m.until.is_some_and(|until| until <= m.from) {
                return Err(RosterError::Member {
                    number,
                    id: m.id.clone(),
                    why: "its key's validity ends before it begins".to_owned(),
                });
            }
            // A key is one person's: two ids on one key would let one person vote as two.
            match holders.get(&m.key) {
                Some(other) if !identity::same(other, &m.id) => {
                    return Err(RosterError::SharedKey {
                        number,
                        key: m.key,
                        ids: ((*other).to_owned(), m.id.clone()),
                    });
                }
                _ => {
                    holders.insert(m.key, &m.id);
                }
            }
        }
        // One person, one spelling: ids that are one identity but not one text ("rita" and
        // "rіta" with a Cyrillic i) would read as two people in a roster an admin signs.
        let ids: Vec<&str> = self
            .members
            .iter()
            .map(|m| m.id.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if let Some((i, j)) = identity::first_twins(&ids) {
            let (earlier, later) = (ids.get(i).copied(), ids.get(j).copied());
            return Err(RosterError::Member {
                number,
                id: later.unwrap_or_default().to_owned(),
                why: format!(
                    "it is spelled apart from `{}` but is the same identity (UTS #39): give a person one id",
                    earlier.unwrap_or_default()
                ),
            });
        }
        Ok(())
    }
}

/// A roster's versions, oldest first, as stored and handed to a gate (`roster.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roster {
    versions: Vec<RosterVersion>,
}

impl Roster {
    /// A roster of `versions`, oldest first.
    pub fn new(versions: Vec<RosterVersion>) -> Self {
        Self { versions }
    }

    /// The versions, oldest first.
    pub fn versions(&self) -> &[RosterVersion] {
        &self.versions
    }

    /// Checks the roster from its first version, which must be the one whose hash the host
    /// pinned (`first`): each version names the one before by hash and number, and is signed
    /// by `threshold` distinct admins of the version before (the first by its own); and it
    /// reaches `held`, the latest version the holder verified before, so a roster cut back to
    /// an earlier version is refused. No key, no service and no database row outside a quorum
    /// of admins can add a key or a role, or undo a rotation or a removal.
    ///
    /// # Errors
    ///
    /// [`RosterError`] naming the version: empty, not the pinned first version, out of
    /// sequence, too few admin signatures, a threshold of 0 or above the admins, an admin
    /// twice, a member with an invalid id or role, a key of two people;
    /// [`RosterError::Truncated`] if it does not reach `held`.
    pub fn verify(&self, first: Head, held: Head) -> Result<VerifiedRoster<'_>, RosterError> {
        let verified = self.verify_first_time(first)?;
        match self.versions.iter().any(|v| v.hash() == held) {
            true => Ok(verified),
            false => Err(RosterError::Truncated { held }),
        }
    }

    /// As [`verify`](Self::verify), without a version held from before: for the
    /// first time a roster is read. Pinning the first version keeps out every key and role a
    /// quorum of admins did not sign; it does not see a roster cut back to an earlier version
    /// (a rotation or a removal undone): keep the latest version's hash you verified
    /// ([`VerifiedRoster::latest`]) and [`verify`](Self::verify) with it from then on.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify), but for [`RosterError::Truncated`].
    pub fn verify_first_time(&self, first: Head) -> Result<VerifiedRoster<'_>, RosterError> {
        let genesis = self.versions.first().ok_or(RosterError::Empty)?;
        if genesis.hash() != first || genesis.number != 1 || genesis.previous.is_some() {
            return Err(RosterError::NotPinned {
                pinned: first,
                found: genesis.hash(),
            });
        }
        let mut signers = genesis;
        for (i, version) in self.versions.iter().enumerate() {
            version.check_shape()?;
            if i > 0 {
                let expected = (signers.number.saturating_add(1), Some(signers.hash()));
                if (version.number, version.previous) != expected {
                    return Err(RosterError::OutOfSequence {
                        number: version.number,
                    });
                }
            }
            let have = version.signed_by(&signers.admins);
            let need = usize::try_from(signers.threshold).unwrap_or(usize::MAX);
            if have < need {
                return Err(RosterError::Unsigned {
                    number: version.number,
                    have,
                    need,
                });
            }
            signers = version;
        }
        Ok(VerifiedRoster { latest: signers })
    }
}

/// A roster whose versions were checked from the pinned first one: its latest version answers
/// who signed a vote, with which roles.
#[derive(Clone, Copy, Debug)]
pub struct VerifiedRoster<'a> {
    latest: &'a RosterVersion,
}

impl<'a> VerifiedRoster<'a> {
    /// `latest`, a version verified before (kept by a policy that counts by it).
    pub(crate) fn trusted(latest: &'a RosterVersion) -> Self {
        Self { latest }
    }

    /// The latest version.
    pub fn latest(&self) -> &'a RosterVersion {
        self.latest
    }

    /// Who signed `statement` with `signature`, the vote counted at `counted` (the time of its
    /// `voted` event in the trail, or of the decision that counts it, as
    /// [`SignedVotes`](crate::policy::SignedVotes) does): a member with the statement's reviewer
    /// id whose key is valid both at the vote's own time and when it is counted, and whose key
    /// made the signature. The roles that count are the member's, from the roster, never the vote's.
    ///
    /// Ask when the vote is counted (at a decision, over the recorded trail), not before
    /// recording it: until it is recorded its time is not known (another vote may land first
    /// and the store record it later), and a check made before could let in a vote whose key
    /// had ended by then. A vote that does not count is still in the trail; it just counts for
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`VoteFinding`] saying why the vote does not count: no such reviewer in the roster; no
    /// key of theirs valid at those times ([`VoteFinding::KeyNotValid`]); signed with a key of
    /// theirs that is not valid then ([`VoteFinding::KeyOutOfValidity`], naming it and its
    /// validity); or a signature that does not verify with their valid keys (with the last
    /// key's reason).
    pub fn signer(
        &self,
        statement: &VoteStatement,
        signature: &VoteSignature,
        counted: Timestamp,
    ) -> Result<&'a Member, VoteFinding> {
        let reviewer = statement.reviewer();
        let theirs: Vec<&'a Member> = self
            .latest
            .members
            .iter()
            .filter(|m| identity::same(&m.id, reviewer))
            .collect();
        if theirs.is_empty() {
            return Err(VoteFinding::NotInRoster {
                reviewer: reviewer.to_owned(),
            });
        }
        let valid = |m: &&&'a Member| m.valid_at(statement.at()) && m.valid_at(counted);
        let mut last = None;
        for member in theirs.iter().filter(valid) {
            match signature.verify(statement, &member.key) {
                Ok(()) => return Ok(member),
                Err(e) => last = Some(e),
            }
        }
        // Signed by a key of theirs that is not valid then: say so, not "another key".
        if let Some(member) = theirs
            .iter()
            .filter(|m| !valid(m))
            .find(|m| signature.verify(statement, &m.key).is_ok())
        {
            return Err(VoteFinding::KeyOutOfValidity {
                reviewer: reviewer.to_owned(),
                key: member.key,
                from: member.from,
                until: member.until,
                at: statement.at(),
                counted,
            });
        }
        let Some(error) = last else {
            return Err(VoteFinding::KeyNotValid {
                reviewer: reviewer.to_owned(),
                at: statement.at(),
                counted,
            });
        };
        Err(VoteFinding::Signature {
            reviewer: reviewer.to_owned(),
            error,
        })
    }
}
