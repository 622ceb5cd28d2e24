#!/usr/bin/perl
# Prints the LemonLDAP::NG configuration (lmConf JSON) of the CI identity
# provider. Called by setup.sh with: STATE_DIR PORTAL_URL SP_BASE.
# Keys are read from STATE_DIR/keys (made by setup.sh); users come from the
# SQLite base STATE_DIR/users.db (.ci/idp/users.sql).
use strict;
use warnings;
use JSON;

my ( $state, $portal, $sp ) = @ARGV;
die "usage: lmconf.pl STATE_DIR PORTAL_URL SP_BASE\n" unless $sp;
$portal =~ s#/*$#/#;
$sp     =~ s#/*$##;

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "cannot read $f: $!\n";
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s;
}

my $samlKey  = slurp("$state/keys/saml.key");
my $samlCert = slurp("$state/keys/saml.crt");
my $oidcKey  = slurp("$state/keys/oidc.key");
my $oidcPub  = slurp("$state/keys/oidc.pub");
my %spMeta   = map { $_ => slurp("$state/sp-metadata-$_.xml") } qw(lemon-saml lemon-saml-chiffre);

# Session attributes (session key => column of the users table).
my %dbiVars = (
    uid         => 'login',
    cn          => 'cn',
    sn          => 'sn',
    givenName   => 'givenname',
    mail        => 'mail',
    profile     => 'profile',
    affiliation => 'affiliation',
    freduId     => 'fredu_id',
    jointure    => 'jointure',
    uai         => 'uai',
    ine         => 'ine',
    childrenIne => 'children_ine',
);

# SAML attributes released to Sillage, named as EduConnect names them:
# "mandatory;Name;NameFormat;FriendlyName". The OIDs are EduConnect's for
# the attributes whose OID is published; the others go by their name.
my $uri   = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
my $basic = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
my $ect   = 'urn:oid:1.3.6.1.4.1.20326.10.999.1';
my %samlAttrs = (
    freduId       => "0;$ect.57;$uri;FrEduCtId",
    affiliation   => "0;$ect.7;$uri;FrEduCtPersonAffiliation",
    uai           => "0;$ect.72;$uri;FrEduCtEleveUAI",
    eduIne        => "0;FrEduCtEleveINE;$basic;FrEduCtEleveINE",
    sn            => "0;urn:oid:2.5.4.4;$uri;sn",
    givenName     => "0;urn:oid:2.5.4.42;$uri;givenName",
    staffJointure => "0;ENTPersonJointure;$basic;ENTPersonJointure",
);

# The options of Sillage as SAML service provider; $encryption: 'none' or
# 'assertion' (encrypted for the certificate of its metadata).
sub spOptions {
    my ($encryption) = @_;
    return {
        samlSPMetaDataOptionsNameIDFormat             => 'persistent',
        samlSPMetaDataOptionsNameIDSessionKey         => 'uid',
        samlSPMetaDataOptionsSignSSOMessage           => 1,
        samlSPMetaDataOptionsSignSLOMessage           => 1,
        samlSPMetaDataOptionsCheckSSOMessageSignature => 1,
        samlSPMetaDataOptionsCheckSLOMessageSignature => 0,
        samlSPMetaDataOptionsEncryptionMode           => $encryption,
        samlSPMetaDataOptionsEnableIDPInitiatedURL    => 0,
        samlSPMetaDataOptionsOneTimeUse               => 0,
        samlSPMetaDataOptionsNotOnOrAfterTimeout      => 300,
        samlSPMetaDataOptionsSessionNotOnOrAfterTimeout => 72000,
        samlSPMetaDataOptionsForceUTF8                => 1,
    };
}

my $conf = {
    cfgNum     => 1,
    cfgAuthor  => 'sillage .ci/idp/setup.sh',
    cfgDate    => 1767225600,    # fixed: the file only changes when its content does
    cfgVersion => '2.16.1',
    portal     => $portal,
    domain     => '127.0.0.1',   # required; equal to the host, so a host-only cookie
    trustedDomains => '127.0.0.1 localhost',
    cookieName     => 'llngidp',
    securedCookie  => 0,
    sameSite       => 'Lax',
    httpOnly       => 1,
    timeout        => 72000,
    portalSkin     => 'bootstrap',
    portalDisplayRegister     => 0,
    portalDisplayResetPassword => 0,
    checkXSS       => 1,
    requireToken   => 1,
    loginHistoryEnabled => 0,
    notification   => 0,
    whatToTrace    => 'uid',
    multiValuesSeparator => ';',
    locationRules  => { '127.0.0.1' => { default => 'accept' } },
    exportedHeaders => {},
    exportedVars    => {},
    groups          => {},
    # eduIne: EduConnect's FrEduCtEleveINE, a student's own INE or a
    # parent's children's. staffJointure: the AAF jointure id, released by
    # SAML for staff only (EduConnect people are matched on the INE).
    macros => {
        eduIne        => '$ine ? $ine : $childrenIne',
        staffJointure => '$profile eq "National_ENS" ? $jointure : ""',
    },

    globalStorage        => 'Apache::Session::File',
    globalStorageOptions => {
        Directory      => "$state/sessions",
        LockDirectory  => "$state/sessions/lock",
        generateModule =>
          'Lemonldap::NG::Common::Apache::Session::Generate::SHA256',
    },
    persistentStorage        => 'Apache::Session::File',
    persistentStorageOptions => {
        Directory     => "$state/psessions",
        LockDirectory => "$state/psessions/lock",
    },
    localSessionStorage        => 'Cache::FileCache',
    localSessionStorageOptions => {
        cache_depth        => 3,
        cache_root         => "$state/cache",
        default_expires_in => 600,
        directory_umask    => '007',
        namespace          => 'lemonldap-ng-sessions',
    },

    # Users: an SQLite base, passwords in clear (test accounts only).
    authentication      => 'DBI',
    userDB              => 'Same',
    passwordDB          => 'Null',
    registerDB          => 'Null',
    dbiAuthChain        => "dbi:SQLite:dbname=$state/users.db",
    dbiAuthUser         => '',
    dbiAuthPassword     => '',
    dbiAuthTable        => 'users',
    dbiUserTable        => 'users',
    dbiAuthLoginCol     => 'login',
    dbiAuthPasswordCol  => 'password',
    dbiAuthPasswordHash => '',
    dbiExportedVars     => \%dbiVars,

    # CAS 3.0 server, one application: Sillage.
    issuerDBCASActivation  => 1,
    casAccessControlPolicy => 'error',
    casStorage             => '',
    casBackChannelSingleLogout => 1,    # POSTs a logoutRequest to each service at log-out
    casAppMetaDataOptions  => {
        sillage => {
            casAppMetaDataOptionsService     => "$sp/",
            casAppMetaDataOptionsDisplayName => 'Sillage',
            casAppMetaDataOptionsUserAttribute => 'uid',
            casAppMetaDataOptionsLogout      => 1,
        },
    },
    casAppMetaDataExportedVars => {
        sillage => {
            cn                     => 'cn',
            sn                     => 'sn',
            givenName              => 'givenName',
            mail                   => 'mail',
            ENTPersonProfils       => 'profile',
            ENTPersonJointure      => 'jointure',
            ENTPersonStructRattach => 'uai',
        },
    },
    casAppMetaDataMacros => { sillage => {} },

    # SAML 2.0 identity provider, one service provider: Sillage.
    issuerDBSAMLActivation   => 1,
    samlEntityID             => '#PORTAL#/saml/metadata',
    samlServicePrivateKeySig => $samlKey,
    samlServicePrivateKeySigPwd => '',
    samlServicePublicKeySig  => $samlCert,
    samlServicePrivateKeyEnc => '',
    samlServicePublicKeyEnc  => '',
    samlServiceSignatureMethod => 'RSA_SHA256',
    samlServiceUseCertificateInResponse => 1,
    samlSPMetaDataXML => {
        sillage         => { samlSPMetaDataXML => $spMeta{'lemon-saml'} },
        sillagechiffre  => { samlSPMetaDataXML => $spMeta{'lemon-saml-chiffre'} },
    },
    samlSPMetaDataExportedAttributes => {
        sillage        => \%samlAttrs,
        sillagechiffre => \%samlAttrs,
    },
    samlSPMetaDataOptions => {
        sillage        => spOptions('none'),
        sillagechiffre => spOptions('assertion'),
    },
    samlSPMetaDataMacros => { sillage => {}, sillagechiffre => {} },

    # OpenID Connect provider, one relying party: Sillage.
    issuerDBOpenIDConnectActivation => 1,
    oidcServiceMetaDataIssuer       => $portal =~ s#/$##r,
    oidcServicePrivateKeySig        => $oidcKey,
    oidcServicePublicKeySig         => $oidcPub,
    oidcServiceKeyIdSig             => 'sillage-ci',
    oidcServiceAllowAuthorizationCodeFlow => 1,
    oidcServiceAllowImplicitFlow    => 0,
    oidcServiceAllowHybridFlow      => 0,
    oidcServiceIgnoreScopeForClaims => 0,
    oidcRPMetaDataOptions => {
        sillage => {
            oidcRPMetaDataOptionsDisplayName  => 'Sillage',
            oidcRPMetaDataOptionsClientID     => 'sillage',
            oidcRPMetaDataOptionsClientSecret => 'sillage-ci-secret',
            oidcRPMetaDataOptionsPublic       => 0,
            oidcRPMetaDataOptionsRequirePKCE  => 1,
            oidcRPMetaDataOptionsRedirectUris => "$sp/sso/oidc/lemon-oidc/callback",
            oidcRPMetaDataOptionsPostLogoutRedirectUris => "$sp/",
            oidcRPMetaDataOptionsBypassConsent => 1,
            oidcRPMetaDataOptionsIDTokenSignAlg => 'RS256',
            oidcRPMetaDataOptionsIDTokenForceClaims => 1,
            oidcRPMetaDataOptionsUserIDAttr   => 'uid',
            oidcRPMetaDataOptionsIDTokenExpiration => 600,
            oidcRPMetaDataOptionsAccessTokenExpiration => 600,
            oidcRPMetaDataOptionsLogoutType   => 'front',
            oidcRPMetaDataOptionsLogoutSessionRequired => 0,
        },
    },
    oidcRPMetaDataExportedVars => {
        sillage => {
            name                     => 'cn',
            family_name              => 'sn',
            given_name               => 'givenName',
            email                    => 'mail',
            ENTPersonProfils         => 'profile',
            ENTPersonJointure        => 'jointure',
            ENTPersonStructRattach   => 'uai',
            FrEduCtPersonAffiliation => 'affiliation',
            FrEduCtEleveINE          => 'eduIne;string;always',
        },
    },
    oidcRPMetaDataOptionsExtraClaims => {
        sillage => {
            sillage => 'ENTPersonProfils ENTPersonJointure ENTPersonStructRattach '
              . 'FrEduCtPersonAffiliation FrEduCtEleveINE',
        },
    },
    oidcRPMetaDataMacros => { sillage => {} },
};

print JSON->new->canonical->pretty->encode($conf);
